// The top bar's customer search: while typing, a dropdown of the best matches
// (GET /search/suggest, a server-rendered fragment). Arrow keys move through it,
// Enter opens the highlighted customer, Escape closes it. Without this file the box
// still works: Enter submits to /search. Enter while an IME is composing Chinese is
// the IME's, never ours.
(function () {
  'use strict'
  var form = document.querySelector('form.global-search')
  var input = form && form.querySelector('input[name=q]')
  if (!input) return

  var box = document.createElement('div')
  box.id = 'search-suggest'
  box.hidden = true
  // inline styles are set through the DOM (the CSP forbids style attributes in markup)
  form.style.position = 'relative'
  Object.assign(box.style, {
    position: 'absolute', top: '100%', left: '0', zIndex: '50', minWidth: '100%', maxWidth: '40rem',
    background: '#fff', color: '#222', border: '1px solid #bbb', boxShadow: '0 4px 12px rgba(0,0,0,.15)'
  })
  form.appendChild(box)
  input.setAttribute('aria-controls', 'search-suggest')
  input.setAttribute('aria-autocomplete', 'list')

  var timer = 0
  var seq = 0
  var active = -1

  function options() { return Array.prototype.slice.call(box.querySelectorAll('li[role=option]:not([aria-disabled=true])')) }

  function highlight(i) {
    var opts = options()
    opts.forEach(function (o, j) {
      o.classList.toggle('active', j === i)
      o.style.background = j === i ? '#e8f0fe' : ''
    })
    active = i
  }

  function close() { box.hidden = true; box.innerHTML = ''; active = -1 }

  function load() {
    var q = input.value.trim()
    if (!q) { close(); return }
    var mine = ++seq
    fetch('/search/suggest?q=' + encodeURIComponent(q), { headers: { 'HX-Request': 'true' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : '' })
      .then(function (html) {
        if (mine !== seq) return // an older answer arriving late
        box.innerHTML = html // server-rendered and escaped
        box.hidden = !html.trim()
        active = -1
        box.querySelectorAll('li').forEach(function (li) { li.style.padding = '.3rem .6rem'; li.style.listStyle = 'none' })
        var ul = box.querySelector('ul'); if (ul) { ul.style.margin = '0'; ul.style.padding = '0' }
      })
      .catch(function () { close() })
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(load, 250) }

  input.addEventListener('input', function (e) { if (!e.isComposing) schedule() })
  input.addEventListener('compositionend', schedule)
  input.addEventListener('keydown', function (e) {
    if (e.isComposing || e.keyCode === 229) return
    var opts = options()
    if (e.key === 'ArrowDown' && opts.length) { e.preventDefault(); highlight((active + 1) % opts.length) }
    else if (e.key === 'ArrowUp' && opts.length) { e.preventDefault(); highlight((active - 1 + opts.length) % opts.length) }
    else if (e.key === 'Escape') { close() }
    else if (e.key === 'Enter' && active >= 0 && opts[active]) {
      var a = opts[active].querySelector('a')
      if (a) { e.preventDefault(); window.location.assign(a.getAttribute('href')) }
    }
  })
  // let a click on a suggestion land before the box closes
  input.addEventListener('blur', function () { setTimeout(close, 200) })
})()
