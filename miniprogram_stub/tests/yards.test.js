// 院落自治 and 三公开 in the mini-program, with a fake `wx` and a fake API: 我的院落 in Chinese
// and English (committee in office, the convention in force with its household coverage,
// the history of versions, the yard's meetings); signing once for my household (the second
// tap told kindly, the button gone); a resident without a confirmed home sees no yard; the
// notice board's tabs 全部 / 居务 / 财务 / 党务 ask the API for that area.
const fs = require('fs')
const path = require('path')
const { ROOT, setup, render, text, all, settle } = require('./helpers/env')
const { participationApi, withHome } = require('./helpers/participation-api')
const { yardsApi, withResidentsConvention } = require('./helpers/yards-api')

function world(lang, { home = 'confirmed' } = {}) {
  const env = setup()
  env.w = participationApi(env.server)
  env.y = yardsApi(env.server, env.w)
  withHome(env.w, home)
  if (lang) env.mod('utils/i18n').setLang(lang)
  return env
}

async function open(env, name, query = {}) {
  const page = render(env.simulate, name, `pages/participation/${name}`)
  await page.instance.onLoad(query)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

function tap(page, selector, index = 0) {
  all(page, selector)[index].dispatchEvent('tap')
  return settle(60)
}

const words = (page, selector) => all(page, selector).map((n) => n.dom.textContent.replace(/\s+/g, ' ').trim())
// a notice's title without its 未读 mark
const titles = (page) => words(page, '.notice-item .item-title').map((w) => w.replace(/^未读 /, ''))
const requests = (env, prefix) => env.server.log.filter((r) => r.path.startsWith(prefix))

describe('我的院落 renders in Chinese and in English', () => {
  test.each(['zh', 'en'])('%s', async (lang) => {
    const env = world(lang)
    const page = await open(env, 'yard')
    expect(page.data.error).toBe('')
    const zh = require('../i18n/zh')
    const dict = require(`../i18n/${lang}`)
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages/participation/yard.json'), 'utf8'))
    expect(json.navigationBarTitleText).toBe(zh.nav_pt_yard)
    expect(env.phone.callsOf('setNavigationBarTitle')[0].title).toBe(dict.nav_pt_yard)
    expect(text(page, '.yard-name')).toBe('晋阳小区')
    expect(words(page, '.member-role')).toEqual([dict.pt_yard_role_head, dict.pt_yard_role_building_head])
    expect(text(page, '.convention-coverage')).toBe(dict.pt_coverage.replace('{signed}', '1').replace('{total}', '12'))
    expect(text(page, '.convention-version')).toContain(dict.pt_version.replace('{n}', '2'))
    expect(all(page, '.yard-meeting').length).toBe(1)
    if (lang === 'en') expect(page.dom.textContent).not.toMatch(/院落长|楼栋长|已签署|历史版本|本户/)
  })
})

test('signing for my household once; the history of versions', async () => {
  const env = world()
  const page = await open(env, 'yard')
  expect(all(page, '.sign-button').length).toBe(1)
  expect(all(page, '.signed-mark').length).toBe(0)
  await tap(page, '.sign-button')
  expect(env.phone.callsOf('showToast').map((o) => o.title)).toEqual(['已签署，谢谢'])
  const signs = requests(env, '/convention-versions/')
  expect(signs.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /convention-versions/202/sign'])
  expect(text(page, '.convention-coverage')).toBe('已签署 2/12 户')
  expect(all(page, '.sign-button').length).toBe(0)
  expect(text(page, '.signed-mark')).toBe('本户已签署现行版本')
  await tap(page, '.history-link')
  expect(words(page, '.version-item .item-title')).toEqual(['第 2 版', '第 1 版'])
  expect(text(page, '.history-card')).toContain('首次制定')
  expect(text(page, '.history-card')).toContain('现行')
})

test('a second signature of the household is told kindly', async () => {
  const env = world()
  env.y.signatures[202].push('mine')  // a family member signed on another phone
  const page = await open(env, 'yard')
  expect(all(page, '.sign-button').length).toBe(0)
  const answer = await env.mod('utils/api').signConvention(202)
  expect(answer.new).toBe(false)
})

test('without a confirmed home there is no yard, and no link to it', async () => {
  const env = world('zh', { home: 'pending' })
  const page = await open(env, 'yard')
  expect(text(page, '.no-yard')).toBe(require('../i18n/zh').pt_no_yard)
  const index = await open(env, 'index')
  expect(all(index, '.yard-link').length).toBe(0)
})

describe('the 居民公约 of my community', () => {
  test.each(['zh', 'en'])('a home without a yard: shown (%s), signed once for my household, its history', async (lang) => {
    const env = world(lang)
    env.y.noYard = true
    withResidentsConvention(env.y)
    const dict = require(`../i18n/${lang}`)
    const page = await open(env, 'yard')
    expect(page.data.error).toBe('')
    expect(all(page, '.yard-card').length).toBe(0)
    expect(all(page, '.no-yard').length).toBe(0)
    expect(text(page, '.no-yard-conventions')).toBe(dict.pt_no_yard_conventions)
    expect(all(page, '.yard-meeting').length).toBe(0)
    expect(requests(env, '/yards/').length).toBe(0)
    expect(words(page, '.community-convention .convention-title')).toEqual(['晋阳社区居民公约'])
    expect(text(page, '.community-convention .badge')).toBe(dict.pt_scope_community)
    expect(text(page, '.convention-community')).toBe('晋阳社区')
    expect(text(page, '.convention-version')).toContain(dict.pt_version.replace('{n}', '1'))
    expect(text(page, '.convention-coverage')).toBe(dict.pt_coverage.replace('{signed}', '0').replace('{total}', '30'))
    expect(all(page, '.signed-mark').length).toBe(0)
    await tap(page, '.sign-button')
    expect(requests(env, '/convention-versions/').map((r) => `${r.method} ${r.path}`)).toEqual(['POST /convention-versions/221/sign'])
    expect(env.phone.callsOf('showToast').map((o) => o.title)).toEqual([dict.pt_sign_done])
    expect(text(page, '.convention-coverage')).toBe(dict.pt_coverage.replace('{signed}', '1').replace('{total}', '30'))
    expect(all(page, '.sign-button').length).toBe(0)
    expect(text(page, '.signed-mark')).toBe(dict.pt_signed)
    await tap(page, '.history-link')
    expect(words(page, '.version-item .item-title')).toEqual([dict.pt_version.replace('{n}', '1')])
    expect(text(page, '.history-card')).toContain('一、邻里和睦')
    if (lang === 'en') expect(page.dom.textContent).not.toMatch(/居民公约第|已签署|历史版本|本户|院落/)
  })

  test('a home with a yard: the 居民公约 once, apart from the yard\'s 院落公约', async () => {
    const env = world()
    withResidentsConvention(env.y)
    const page = await open(env, 'yard')
    expect(words(page, '.community-convention .convention-title')).toEqual(['晋阳社区居民公约'])
    expect(words(page, '.convention-title')).toEqual(['晋阳院落公约', '晋阳社区居民公约'])
    expect(all(page, '.no-yard-conventions').length).toBe(0)
    expect(all(page, '.sign-button').length).toBe(2)
    await tap(page, '.sign-button', 1)
    expect(requests(env, '/convention-versions/').map((r) => r.path)).toEqual(['/convention-versions/221/sign'])
  })

  test('a pending home: no 居民公约 to sign', async () => {
    const env = world('zh', { home: 'pending' })
    env.y.noYard = true
    withResidentsConvention(env.y)
    const page = await open(env, 'yard')
    expect(text(page, '.no-yard')).toBe(require('../i18n/zh').pt_no_yard)
    expect(all(page, '.convention-card').length).toBe(0)
    expect(all(page, '.sign-button').length).toBe(0)
  })
})

test('居民参与 leads to 我的院落', async () => {
  const env = world()
  const index = await open(env, 'index')
  await tap(index, '.yard-link')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/participation/yard'])
})

test('the notice board has the tabs 全部 / 居务 / 财务 / 党务, each asking the API for its area', async () => {
  const env = world()
  const page = await open(env, 'index')
  expect(words(page, '.area-tab')).toEqual(['全部', '居务', '财务', '党务'])
  expect(words(page, '.notice-item .item-title').length).toBe(3)
  await tap(page, '.area-tab', 3)
  expect(titles(page)).toEqual(['党费收缴情况公示'])
  expect(words(page, '.notice-area')).toEqual(['· 党务'])
  expect(requests(env, '/me/notices').map((r) => r.query.area || '')).toEqual(['', 'party'])
  expect(text(page, '.tabs-on')).toBe('党务')
  await tap(page, '.area-tab', 2)
  expect(titles(page)).toEqual(['2026 年社区基金投票结果公示'])
  await tap(page, '.area-tab', 0)
  expect(words(page, '.notice-item .item-title').length).toBe(3)
})

test('the dictionaries name every yard role and notice area', () => {
  const zh = require('../i18n/zh')
  const en = require('../i18n/en')
  const { ROLES, AREAS } = require('../logic/yards')
  ROLES.map((r) => `pt_yard_role_${r}`).concat(AREAS.map((a) => `pt_area_${a}`), ['pt_scope_yard', 'pt_scope_community'])
    .forEach((k) => {
      expect(zh[k]).toBeTruthy()
      expect(en[k]).toBeTruthy()
    })
})
