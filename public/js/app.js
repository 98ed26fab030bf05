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
      return
    }
    // Alt+letter presses the button (or focuses the field) with that accesskey, by the
    // key's position (e.code), for browsers that do not do it themselves (Firefox wants
    // Alt+Shift). Chromium handles accesskeys first and cancels the event: left alone.
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.defaultPrevented && /^Key[A-Z]$/.test(e.code)) {
      var el = document.querySelector('[accesskey="' + e.code.slice(3).toLowerCase() + '"]')
      if (!el) return
      e.preventDefault()
      if (el.matches('button, a[href], input[type=submit]')) el.click(); else el.focus()
      return
    }
    // Enter in a field with data-enter-next="#next" (the call screen's phone) looks up at
    // once (htmx "search" trigger) and moves on to the next field of the work, rather
    // than submitting a half-filled form; in a field with data-enter-search (a search box
    // inside the call form) it searches at once and stays there.
    var t = e.target
    if (e.key !== 'Enter' || e.altKey || e.shiftKey || !t.getAttribute) return
    var next = t.getAttribute('data-enter-next')
    var to = next && document.querySelector(next)
    if (to || t.hasAttribute('data-enter-search')) {
      e.preventDefault()
      t.dispatchEvent(new Event('search'))
      if (to) to.focus()
    }
  })

  // Select-all checkbox for list bulk actions: <input type=checkbox data-check-all="name">
  document.addEventListener('change', function (e) {
    var t = e.target
    var name = t && t.getAttribute && t.getAttribute('data-check-all')
    if (!name) return
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (c) { c.checked = t.checked })
  })

  // Drafts: a <form data-draft="name"> keeps what was typed in localStorage, so an
  // accidental reload loses nothing; submitting clears it. Sign-out clears site
  // storage (Clear-Site-Data), so nothing stays behind on a shared PC.
  function draftKey(form) { return 'kehu.draft.' + form.getAttribute('data-draft') }
  function skip(el) { return !el.name || el.type === 'hidden' || el.type === 'password' || el.type === 'file' }
  // A draft is for the record it was typed for: a page whose own fields already say
  // something else (the screen pop of the next caller) does not take it.
  function textual(el) { return el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && /^(text|tel|search|email|number)$/.test(el.type)) }
  function restoreDraft(form) {
    var saved = null
    try { saved = JSON.parse(localStorage.getItem(draftKey(form)) || 'null') } catch (e) { saved = null }
    if (!saved) return
    var other = Array.prototype.some.call(form.elements, function (el) {
      return !skip(el) && textual(el) && el.value && el.name in saved && saved[el.name] !== el.value
    })
    if (other) return
    var restored = Array.prototype.filter.call(form.elements, function (el) {
      if (skip(el) || !(el.name in saved) || el.value) return false
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = saved[el.name] === el.value
      else el.value = saved[el.name]
      return true
    })
    restored.forEach(function (el) { el.dispatchEvent(new Event('input', { bubbles: true })) })
  }
  document.querySelectorAll('form[data-draft]').forEach(function (form) {
    // restored as if typed once htmx listens (it starts on DOMContentLoaded): a restored
    // phone number is looked up again
    document.addEventListener('DOMContentLoaded', function () { setTimeout(function () { restoreDraft(form) }, 0) })
    form.addEventListener('input', function () {
      var data = {}
      Array.prototype.forEach.call(form.elements, function (el) {
        if (skip(el)) return
        if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) return
        data[el.name] = el.value
      })
      try { localStorage.setItem(draftKey(form), JSON.stringify(data)) } catch (e) { /* storage full or off */ }
    })
    form.addEventListener('submit', function () { try { localStorage.removeItem(draftKey(form)) } catch (e) { /* ignore */ } })
  })

  // Print buttons: <button data-print>
  document.addEventListener('click', function (e) {
    var t = e.target.closest && e.target.closest('[data-print]')
    if (t) { e.preventDefault(); window.print() }
  })
})()
