// Kehu's small client script: no inline scripts anywhere (the CSP forbids them),
// every page works without this file; it only adds confirmations and shortcuts.
(function () {
  'use strict'
  // Confirm before destructive posts: <form data-confirm="..."> or <button data-confirm>.
  document.addEventListener('submit', function (e) {
    var form = e.target
    var btn = e.submitter
    var msg = (btn && btn.getAttribute('data-confirm')) || form.getAttribute('data-confirm')
    if (msg && !window.confirm(msg)) e.preventDefault()
  }, true)

  // Keyboard shortcuts, shown on screen where they apply. Enter while an IME is
  // composing Chinese must not submit anything, so composing events are ignored.
  document.addEventListener('keydown', function (e) {
    if (e.isComposing || e.keyCode === 229) return
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      var form = document.activeElement && document.activeElement.form
      if (form) { e.preventDefault(); form.requestSubmit() }
    }
  })

  // Select-all checkbox for list bulk actions: <input type=checkbox data-check-all="name">
  document.addEventListener('change', function (e) {
    var t = e.target
    var name = t && t.getAttribute && t.getAttribute('data-check-all')
    if (!name) return
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (c) { c.checked = t.checked })
  })

  // Print buttons: <button data-print>
  document.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-print]')
    if (t) { e.preventDefault(); window.print() }
  })
})()
