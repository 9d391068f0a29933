// Chinese by default, English on request: the pages, the tab bar, the API's messages
// (Accept-Language) and the category names follow the switch, which is kept in storage.
const fs = require('fs')
const path = require('path')
const { ROOT, setup, render, text, settle } = require('./helpers/env')

const zh = require('../i18n/zh')
const en = require('../i18n/en')

function sources(ext) {
  const out = []
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).forEach((d) => {
    if (['node_modules', 'tests'].indexOf(d.name) >= 0) return
    const p = path.join(dir, d.name)
    if (d.isDirectory()) walk(p)
    else if (p.endsWith(ext)) out.push(p)
  })
  walk(ROOT)
  return out
}

test('both dictionaries have the same keys, and no empty text', () => {
  expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort())
  Object.keys(zh).forEach((k) => {
    expect(zh[k]).toBeTruthy()
    expect(en[k]).toBeTruthy()
  })
  const chinese = Object.keys(en).filter((k) => /[\u4e00-\u9fff]/.test(en[k]))
  expect(chinese).toEqual(['me_language']) // "语言 / Language": findable in either language
})

test('every key the pages use exists', () => {
  const used = new Set()
  sources('.wxml').forEach((f) => {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bt\.([a-z_0-9]+)/g)) used.add(m[1])
  })
  sources('.js').forEach((f) => {
    const s = fs.readFileSync(f, 'utf8')
    for (const m of s.matchAll(/(?:\bt|toast|setTitle)\('([a-z_0-9]+)'/g)) used.add(m[1])
    for (const m of s.matchAll(/key: '([a-z_0-9]+)'/g)) used.add(m[1])
  })
  // keys made from API values: states, ratings, event kinds, actors, roles, submission kinds
  ;['submitted', 'accepted', 'rejected', 'dispatched', 'in_progress', 'resolved', 'closed', 'merged'].forEach((s) => used.add(`state_${s}`))
  ;['satisfied', 'basically_satisfied', 'unsatisfied'].forEach((r) => used.add(`rating_${r}`))
  ;['transition', 'checkin', 'supplement', 'rating', 'merge'].forEach((k) => used.add(`event_${k}`))
  ;['resident', 'reporter', 'staff', 'assignee', 'grid_worker', 'system'].forEach((k) => used.add(`actor_${k}`))
  ;['resident', 'grid_worker', 'staff', 'admin'].forEach((k) => used.add(`role_${k}`))
  ;['ticket', 'patrol', 'resolve', 'supplement'].forEach((k) => used.add(`kind_${k}`))
  ;[0, 1, 2, 3, 4, 5, 6].forEach((d) => used.add(`wd_${d}`))
  const missing = [...used].filter((k) => zh[k] === undefined)
  expect(missing).toEqual([])
  expect(used.size).toBeGreaterThan(150)
})

test('the English switch: pages, tab bar, API language and category names follow, and it is kept', async () => {
  const env = setup()
  const { server, phone } = env
  server.addTicket({ state: 'dispatched' })
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  const home = render(env.simulate, 'home')
  await home.instance.onLoad({})
  const bar = render(env.simulate, 'tab', 'custom-tab-bar/index')
  await settle()
  expect(text(home, '#go-report')).toBe('我要上报')
  expect(bar.data.items.map((i) => i.text)).toEqual(['首页', '上报', '办事', '我的'])

  me.querySelector('.lang-en').dispatchEvent('tap')
  await settle(40)
  expect(phone.store.get('linli.lang')).toBe('en')
  expect(text(me, '.role')).toBe('Resident')
  expect(bar.data.items.map((i) => i.text)).toEqual(['Home', 'Report', 'Services', 'Me'])
  expect(text(home, '#go-report')).toBe('Report a problem')
  expect(text(home, '.open-ticket .item-title')).toBe('Public facilities › Stairwell light broken')
  expect(text(home, '.open-ticket .badge')).toBe('Dispatched')
  await home.instance.onShow() // back on 首页: its title follows too
  expect(phone.callsOf('setNavigationBarTitle').pop().title).toBe('Linli')
  const last = server.log[server.log.length - 1]
  expect(last.header['accept-language']).toBe('en')

  // the next start of the mini-program is still in English
  jest.resetModules()
  global.wx = phone.wx
  const i18n = require(path.join(ROOT, 'utils/i18n'))
  expect(i18n.getLang()).toBe('en')
  expect(i18n.acceptLanguage()).toBe('en')
  expect(require(path.join(ROOT, 'utils/format')).distance(1520)).toBe('1.5 km')
})

test('back to Chinese', async () => {
  const env = setup()
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  me.querySelector('.lang-en').dispatchEvent('tap')
  me.querySelector('.lang-zh').dispatchEvent('tap')
  await settle()
  expect(env.phone.store.get('linli.lang')).toBe('zh')
  expect(me.data.t.tab_me).toBe('我的')
  await env.mod('utils/api').me()
  expect(env.server.log.pop().header['accept-language']).toBe('zh-CN')
})
