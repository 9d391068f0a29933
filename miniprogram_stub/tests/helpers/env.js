// A fresh world for each test: new module instances (the modules keep state: the login in
// progress, the queue's listener, caches), a fake API and a fake phone (`wx`).
const path = require('path')
const { FakeApi } = require('./fake-api')
const { createFakeWx, settle } = require('./fake-wx')

const ROOT = path.resolve(__dirname, '../..')
const PAGES = ['home', 'report', 'tickets', 'ticket', 'notices', 'me', 'tasks', 'task', 'patrol', 'bind']
const BOOKING_PAGES = ['pages/bookings/index', 'pages/bookings/item', 'pages/bookings/detail']

// miniprogram-simulate's built-in components keep none of their properties; <image>, <map>,
// <input> and <textarea> are given theirs back as attributes (src, mode; latitude,
// longitude, scale; value, placeholder), so tests can read them and the pages rendered for
// the browser show their pictures and fields.
function reflect(id, names) {
  const jComponent = require('j-component')
  const put = (node, name, value) => {
    const el = node._exparserNode.$$
    if (!el) return
    if (value === undefined || value === null || value === '') el.removeAttribute(name)
    else el.setAttribute(name, String(value))
  }
  const properties = {}
  const observers = {}
  names.forEach((name) => {
    properties[name] = { type: null, value: null }
    observers[name] = function observe(value) { put(this, name, value) }
  })
  jComponent.register({
    id,
    tagName: `wx-${id}`,
    template: '<slot/>',
    properties,
    observers,
    lifetimes: { attached() { names.forEach((name) => put(this, name, this.properties[name])) } },
  })
}

function setup(options = {}) {
  jest.resetModules()
  const simulate = require('miniprogram-simulate')
  reflect('image', ['src', 'mode'])
  reflect('map', ['latitude', 'longitude', 'scale'])
  reflect('input', ['value', 'placeholder'])
  reflect('textarea', ['value', 'placeholder'])
  const server = options.server || new FakeApi()
  const phone = createFakeWx(server.handler())
  global.wx = phone.wx // after simulate, which installs its own mock wx on load
  const mod = (p) => require(path.join(ROOT, p))
  mod('utils/settings').override({ apiBase: server.origin })
  return { simulate, server, phone, mod, settle }
}

// Load a page (a Component) the way DevTools would, with the official WXML compiler over the
// whole project, and attach it.
function render(simulate, name, file) {
  const id = simulate.load(path.join(ROOT, file || `pages/${name}/${name}`), {
    rootPath: ROOT,
    compilerOptions: { maxBuffer: 16 * 1024 * 1024 },
  })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

function text(comp, selector) {
  const node = comp.querySelector(selector)
  return node ? node.dom.textContent.replace(/\s+/g, ' ').trim() : null
}

function all(comp, selector) {
  return comp.querySelectorAll(selector)
}

module.exports = { ROOT, PAGES, BOOKING_PAGES, setup, render, text, all, settle }
