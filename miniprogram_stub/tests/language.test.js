// The language I read (issue 21): the switch on 我的 re-renders the pages in English at
// once and keeps the choice on the server (PUT /me/language), so content and notifications
// come in it; a language chosen on another device wins at the next /me; a notice or a
// service item served in English is shown as served, one staff wrote only in Chinese says so.
const { setup, render, text, settle } = require('./helpers/env')
const { participationApi, withHome } = require('./helpers/participation-api')

async function mePage(env) {
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  await settle()
  return me
}

test('the switch on 我的 re-renders in English and keeps the choice on the server', async () => {
  const env = setup()
  const me = await mePage(env)
  expect(text(me, '.lang-hint')).toContain('公告、办事材料和消息')
  expect(env.server.requests('PUT', '/me/language')).toHaveLength(0) // opening changes nothing

  me.querySelector('.lang-en').dispatchEvent('tap')
  await settle(60)
  expect(env.server.requests('PUT', '/me/language').map((r) => r.body)).toEqual([{ language: 'en' }])
  expect(env.server.user.language).toBe('en')
  expect(env.phone.store.get('linli.lang')).toBe('en')
  expect(text(me, '.role')).toBe('Resident')
  expect(text(me, '.lang-hint')).toContain('Notices, what to bring')
  expect(env.mod('utils/session').user().language).toBe('en')

  me.querySelector('.lang-zh').dispatchEvent('tap')
  await settle(60)
  expect(env.server.requests('PUT', '/me/language').pop().body).toEqual({ language: 'zh' })
  expect(env.server.user.language).toBe('zh')
  expect(text(me, '.role')).toBe('居民')
})

test('the server refusing the choice: the phone stays switched and the error is shown', async () => {
  const env = setup()
  const me = await mePage(env)
  env.server.route('PUT', '/me/language', () => ({ status: 503, body: { error: { code: 'service_unavailable', message: 'The service is temporarily unavailable; please try again later.', fields: {} } } }))
  me.querySelector('.lang-en').dispatchEvent('tap')
  await settle(60)
  expect(env.phone.store.get('linli.lang')).toBe('en')
  expect(me.data.error).toContain('temporarily unavailable')
})

test('a language chosen on another device wins at the next /me', async () => {
  const env = setup()
  env.server.user = Object.assign({}, env.server.user, { language: 'en' })
  const me = await mePage(env)
  expect(env.phone.store.get('linli.lang')).toBe('en')
  expect(text(me, '.role')).toBe('Resident')
  expect(env.server.requests('PUT', '/me/language')).toHaveLength(0)
  // none chosen on the server: this phone's choice stays
  env.server.user = Object.assign({}, env.server.user, { language: null })
  await env.mod('utils/api').me()
  expect(env.phone.store.get('linli.lang')).toBe('en')
})

async function notice(env, id) {
  env.rendered = env.rendered || render(env.simulate, 'notice', 'pages/participation/notice')
  const page = env.rendered // one page, opened on each notice in turn
  await page.instance.onLoad({ id: String(id) })
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

test('a notice served in English is shown as served; a Chinese-only one says so', async () => {
  const env = setup()
  env.w = participationApi(env.server)
  withHome(env.w, 'confirmed')
  env.mod('utils/i18n').setLang('en')
  Object.assign(env.w.notices[62], { title: 'Water cut on Saturday', body: 'No water 9:00–12:00 on Saturday.', language: 'en' })
  Object.assign(env.w.notices[61], { language: 'zh' })
  const english = await notice(env, 62)
  expect(text(english, '.notice-title')).toBe('Water cut on Saturday')
  expect(text(english, '.notice-body')).toBe('No water 9:00–12:00 on Saturday.')
  expect(english.querySelector('.chinese-only')).toBeFalsy()
  const chinese = await notice(env, 61)
  expect(text(chinese, '.notice-title')).toBe('2026 年社区基金投票结果公示')
  expect(text(chinese, '.chinese-only')).toBe('Only in Chinese for now')
  // the Chinese pages never show the mark
  env.mod('utils/i18n').setLang('zh')
  const inChinese = await notice(env, 61)
  expect(inChinese.querySelector('.chinese-only')).toBeFalsy()
})

test('a service item\'s materials in English when served; Chinese-only marked', async () => {
  const env = setup()
  env.mod('utils/i18n').setLang('en')
  const item = env.server.serviceItems[0]
  Object.assign(item, { name: item.name_en, materials: ['ID card (original)', 'Household register'], language: 'en' })
  const page = render(env.simulate, 'item', 'pages/bookings/item')
  await page.instance.onLoad({ id: '31' })
  await settle()
  expect(text(page, '.item-name')).toBe('Pension insurance registration')
  expect(text(page, '.material')).toBe('· ID card (original)')
  expect(page.querySelector('.chinese-only')).toBeFalsy()
  Object.assign(item, { name: '城乡居民基本养老保险参保登记', materials: ['居民身份证原件'], language: 'zh' })
  await page.instance.onLoad({ id: '31' }) // opened again
  await settle()
  expect(text(page, '.chinese-only')).toBe('Only in Chinese for now')
})
