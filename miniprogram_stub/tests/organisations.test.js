// 社会组织 on the organisation pages, driven with a fake `wx` and a fake API: every page in
// Chinese and English; the organisations serving my community with their ratings, which
// organisation runs which service, an organisation's page with its projects, a micro-fund's
// ledger with its running balance; an unconfirmed resident told why (the API's 403).
const fs = require('fs')
const path = require('path')
const { ROOT, setup, render, text, all, settle } = require('./helpers/env')
const { participationApi, withHome, ok, error } = require('./helpers/participation-api')

const PAGES = ['index', 'detail', 'microfund']
const QUERY = { index: { community: '3' }, detail: { id: '11' }, microfund: { id: '21' } }
const TITLES = { index: 'nav_org_index', detail: 'nav_org_detail', microfund: 'nav_org_microfund' }

function world(lang, { home = 'confirmed' } = {}) {
  const env = setup()
  const w = participationApi(env.server)
  withHome(w, home)
  const confirmed = () => w.residencies.some((r) => r.community_id === 3 && r.status === 'confirmed')
  const running = { id: 31, organisation_id: 11, organisation_name: '益邻社会工作服务中心', organisation_rating: '3A', buyer_id: 3, buyer_name: '晋阳社区', title: '长者助餐与探访服务', summary: '工作日午餐配送', status: 'in_progress', contract_sum: '80000.00', period_start: '2026-01-01', period_end: '2026-12-31', publish_from: null, publish_until: null, notice_id: null, due_for_acceptance: false }
  const orgs = {
    11: { id: 11, place_id: 3, place_name: '晋阳社区', name: '益邻社会工作服务中心', kind: 'social', credit_code: '52510107MJ00000008', registration_authority: '武侯区民政局', registered_on: '2019-05-20', rating: '3A', contact_name: '周敏', contact_phone: '028-85000200', services: '长者助餐、四点半课堂', is_active: true },
    12: { id: 12, place_id: 2, place_name: '晋阳街道', name: '晋阳街道社区发展治理支持中心', kind: 'support_centre', credit_code: null, registration_authority: '', registered_on: null, rating: 'none', contact_name: '', contact_phone: '', services: '社区社会组织培育', is_active: true },
  }
  const microFund = { id: 21, fund_id: 81, community_id: 3, year: 2026, name: '助老微基金', purpose: '独居老人助餐补贴', is_active: true, balance: '5800.00', donations: '7000.00', expenses: '1200.00',
    lines: [
      { id: 1, kind: 'donation', amount: '2000.00', on_date: '2026-09-18', party: '张先生', note: '认捐', balance: '2000.00' },
      { id: 2, kind: 'donation', amount: '5000.00', on_date: '2026-09-23', party: '爱心商户联盟', note: '', balance: '7000.00' },
      { id: 3, kind: 'expense', amount: '1200.00', on_date: '2026-09-28', party: '社区长者食堂', note: '一个月助餐', balance: '5800.00' },
    ] }
  const forbidden = () => error(403, 'forbidden', '您没有权限执行此操作。')
  env.server.route('GET', /^\/communities\/3\/organisations$/, () => (confirmed() ? ok(Object.values(orgs)) : forbidden()))
  env.server.route('GET', /^\/communities\/3\/service-projects$/, () => (confirmed() ? ok([running]) : forbidden()))
  env.server.route('GET', /^\/organisations\/(\d+)$/, (req, m) => ok(Object.assign({}, orgs[m[1]], { projects: m[1] === '11' ? [running] : [] })))
  env.server.route('GET', /^\/funds\/81\/micro-funds$/, () => ok([microFund]))
  env.server.route('GET', /^\/micro-funds\/21$/, () => ok(microFund))
  if (lang) env.mod('utils/i18n').setLang(lang)
  return env
}

async function open(env, name, query = {}) {
  const page = render(env.simulate, name, `pages/organisations/${name}`)
  await page.instance.onLoad(query)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

const words = (page, selector) => all(page, selector).map((n) => n.dom.textContent.replace(/\s+/g, ' ').trim())

describe('every organisation page renders, in Chinese and in English', () => {
  const cases = PAGES.flatMap((name) => [[name, 'zh'], [name, 'en']])
  test.each(cases)('%s (%s)', async (name, lang) => {
    const env = world(lang)
    const page = await open(env, name, QUERY[name])
    expect(page.data.error).toBe('')
    expect(page.data.lang).toBe(lang)
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `pages/organisations/${name}.json`), 'utf8'))
    expect(json.navigationBarTitleText).toBe(require('../i18n/zh')[TITLES[name]])
    expect(env.phone.callsOf('setNavigationBarTitle')[0].title).toBe(require(`../i18n/${lang}`)[TITLES[name]])
    if (lang === 'en') expect(page.dom.textContent).not.toMatch(/实施中|结余|承接|暂无|累计|类型/)
  })
})

test('the words made from API values are in both dictionaries', () => {
  const zh = require('../i18n/zh')
  const en = require('../i18n/en')
  const keys = ['social', 'community', 'volunteer', 'support_centre', 'enterprise'].map((k) => `org_kind_${k}`)
    .concat(['applied', 'approved', 'rejected', 'contracted', 'in_progress', 'accepted', 'failed', 'published'].map((s) => `org_status_${s}`))
    .concat(['donation', 'expense'].map((k) => `org_line_${k}`))
  keys.forEach((k) => {
    expect(zh[k]).toBeTruthy()
    expect(en[k]).toBeTruthy()
  })
})

test('居民参与 leads a confirmed resident to the organisations serving the community', async () => {
  const env = world()
  const hub = render(env.simulate, 'index', 'pages/participation/index')
  await hub.instance.onLoad({})
  await settle()
  hub.querySelector('.orgs-link').dispatchEvent('tap')
  await settle(60)
  expect(env.phone.callsOf('navigateTo').pop().url).toBe('/pages/organisations/index?community=3')
})

test('who serves my community and who runs which service; on to an organisation and a micro-fund', async () => {
  const env = world()
  const page = await open(env, 'index', { community: '3' })
  expect(words(page, '.org-name')).toEqual(['益邻社会工作服务中心', '晋阳街道社区发展治理支持中心'])
  expect(words(page, '.org-rating')).toEqual(['3A']) // no badge for an organisation not rated
  expect(words(page, '.project-title')).toEqual(['长者助餐与探访服务'])
  expect(text(page, '.project-status')).toBe('实施中')
  expect(words(page, '.project-runner')).toEqual(['承接： 益邻社会工作服务中心 · 2026-01-01 – 2026-12-31'])
  expect(text(page, '.micro-balance')).toBe('¥5800.00')
  page.querySelector('.project-item').dispatchEvent('tap')
  await settle(60)
  expect(env.phone.callsOf('navigateTo').pop().url).toBe('/pages/organisations/detail?id=11')
  page.querySelector('.micro-fund-item').dispatchEvent('tap')
  await settle(60)
  expect(env.phone.callsOf('navigateTo').pop().url).toBe('/pages/organisations/microfund?id=21')

  const detail = await open(env, 'detail', { id: '11' })
  expect(text(detail, '.org-kind')).toBe('社会组织')
  expect(text(detail, '.org-code')).toBe('52510107MJ00000008')
  expect(text(detail, '.org-contact')).toBe('周敏 028-85000200')
  expect(words(detail, '.project-item .project-title')).toEqual(['长者助餐与探访服务'])
  const centre = await open(world(), 'detail', { id: '12' })
  expect(centre.querySelector('.org-rating')).toBeUndefined()
  expect(text(centre, '.no-projects')).toBe('暂无服务项目')
})

test("a micro-fund's ledger: donations in, the expense out, the running balance", async () => {
  const env = world()
  const page = await open(env, 'microfund', { id: '21' })
  expect(text(page, '.micro-name')).toBe('助老微基金')
  expect(text(page, '.micro-donations')).toBe('¥7000.00')
  expect(text(page, '.micro-expenses')).toBe('¥1200.00')
  expect(text(page, '.micro-balance')).toBe('¥5800.00')
  expect(words(page, '.ledger-out')).toEqual(['-¥1200.00'])
  expect(words(page, '.ledger-in')).toEqual(['¥2000.00', '¥5000.00'])
  expect(words(page, '.micro-running')).toEqual(['结余 ¥2000.00 · 认捐', '结余 ¥7000.00', '结余 ¥5800.00 · 一个月助餐'])
})

test('a resident whose home is not confirmed is told why, not shown an empty list', async () => {
  const env = world(null, { home: 'pending' })
  const page = await open(env, 'index', { community: '3' })
  expect(page.data.error).toBe('您没有权限执行此操作。')
  expect(page.data.organisations).toEqual([])
})
