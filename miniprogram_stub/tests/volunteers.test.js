// 志愿服务 on the volunteer pages, driven with a fake `wx` and a fake API: every page in
// Chinese and English; the profile with consent (the ID number only as its last 4); joining
// an open team and asking to join one a leader approves, leaving; sign up → the waitlist and
// my place on it, withdraw; check in and out with the leader's code, typed or scanned, and a
// wrong code shown with the API's message; my hours, star level and the record of service.
const fs = require('fs')
const path = require('path')
const { ROOT, setup, render, text, all, settle } = require('./helpers/env')

const VOLUNTEER_PAGES = ['index', 'team', 'activity', 'profile', 'records', 'certificate']
const { volunteerApi, CODE, WRONG_CODE_MESSAGE, iso, error } = require('./helpers/volunteer-api')

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

function type(page, selector, value) {
  page.querySelector(selector).dispatchEvent('input', { detail: { value } })
}

function world(lang) {
  const env = setup()
  env.w = volunteerApi(env.server)
  if (lang) env.mod('utils/i18n').setLang(lang)
  return env
}

async function open(env, name, query = {}) {
  const page = render(env.simulate, name, `pages/volunteers/${name}`)
  // as WeChat opens a page: onLoad, then onShow (a later onShow is a return to it)
  await page.instance.onLoad(query)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

const QUERY = { team: { id: '1' }, activity: { id: '41' } }

describe('every volunteer page renders, in Chinese and in English', () => {
  const cases = VOLUNTEER_PAGES.flatMap((name) => [[name, 'zh'], [name, 'en']])
  test.each(cases)('%s (%s)', async (name, lang) => {
    const env = world(lang)
    env.w.profile = { user_id: 7, real_name: '陈晓', phone: '13900000202', skills: ['急救'], service_categories: [], id_number_last4: '002X', consented_at: iso(Date.now()), consent_version: '2026-01' }
    const page = await open(env, name, QUERY[name])
    expect(page.data.error).toBe('')
    expect(page.dom.innerHTML.length).toBeGreaterThan(0)
    expect(page.data.lang).toBe(lang)
    // the title in the page's .json is the Chinese one the page sets
    const key = name === 'index' ? 'nav_volunteers' : `nav_vol_${name}`
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `pages/volunteers/${name}.json`), 'utf8'))
    expect(json.navigationBarTitleText).toBe(require('../i18n/zh')[key])
    expect(env.phone.callsOf('setNavigationBarTitle')[0].title).toBe(require(`../i18n/${lang}`)[key])
    const html = page.dom.textContent
    if (lang === 'en') expect(html).not.toMatch(/已报名|服务队|志愿者信息|累计认定|签到码|保存|删除已登记/)
  })
})

test('the dictionaries have the words made from API values (memberships, activities, sign-ups, records)', () => {
  const zh = require('../i18n/zh')
  const en = require('../i18n/en')
  const keys = ['pending', 'active', 'left', 'removed'].map((s) => `vol_member_${s}`)
    .concat(['draft', 'published', 'cancelled', 'finished'].map((s) => `vol_activity_${s}`))
    .concat(['signed', 'waitlisted', 'withdrawn'].map((s) => `vol_signup_${s}`))
    .concat(['open', 'pending', 'approved', 'rejected'].map((s) => `vol_record_${s}`))
  keys.forEach((k) => {
    expect(zh[k]).toBeTruthy()
    expect(en[k]).toBeTruthy()
  })
})

test('我的 leads residents to 志愿服务', async () => {
  const env = world()
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  await settle()
  expect(text(me, '.volunteers-link')).toBe('志愿服务')
  await tap(me, '.volunteers-link')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/volunteers/index'])
})

test('志愿服务: my hours and stars, activities page by page (next_cursor), teams, my teams', async () => {
  const env = world()
  env.w.teams[2].my_status = 'pending'
  const page = await open(env, 'index')
  expect(text(page, '.summary-hours')).toBe('120.5 小时')
  expect(text(page, '.summary-level')).toBe('1 星志愿者')
  expect(text(page, '.stars')).toBe('★☆☆☆☆')
  expect(page.data.summary.nextText).toBe('再服务 179.5 小时可达 2 星')
  expect(all(page, '.activity-item')).toHaveLength(1)
  expect(text(page, '.activity-item .hint')).toBe('环境保护 · 已报名 1/1 · 候补 1')
  await page.instance.onReachBottom()
  await settle()
  expect(page.data.rows.map((r) => r.id)).toEqual([41, 42])
  expect(env.server.requests('GET', '/volunteer-activities').map((r) => r.query.cursor)).toEqual([undefined, 'p2'])
  await page.instance.onReachBottom() // the last page: nothing more is asked for
  expect(env.server.requests('GET', '/volunteer-activities')).toHaveLength(2)

  await tap(page, '#tab-teams')
  const words = (selector) => all(page, selector).map((n) => n.dom.textContent.trim())
  expect(words('.team-item .item-title')).toEqual(['环境保护', '邻里互助'])
  expect(words('.team-item .badge')).toEqual(['待审核'])
  expect(words('.team-item .hint')).toEqual(['晋阳社区 · 成员 12/30 · 直接加入', '晋阳社区 · 成员 5 人 · 加入需负责人审核'])
  await tap(page, '#tab-mine')
  expect(words('.my-team .item-title')).toEqual(['邻里互助'])
  expect(words('.my-team .badge')).toEqual(['待审核'])
  await tap(page, '.my-team')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/volunteers/team?id=2'])
})

test('joining needs the profile first: consent, the ID number shown back only as its last 4', async () => {
  const env = world()
  const { server, phone, w } = env
  const team = await open(env, 'team', { id: '1' })
  expect(text(team, '.profile-first')).toBe('加入服务队前请先填写志愿者信息')
  await tap(team, '#join')
  expect(server.requests('POST', '/volunteer-teams/1/join')).toHaveLength(0)
  expect(phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/volunteers/profile'])

  const profile = await open(env, 'profile')
  type(profile, '#real-name', '陈晓')
  type(profile, '#phone', '13900000202')
  type(profile, '#skills', '急救、 摄影,英语')
  type(profile, '#id-number', '11010519491231002x')
  await tap(profile, '#save')
  expect(text(profile, '.consent-error')).toBe('请先勾选同意')
  expect(server.requests('PUT', '/me/volunteer-profile')).toHaveLength(0)

  profile.querySelector('.consent-group').dispatchEvent('change', { detail: { value: ['yes'] } })
  await tap(profile, '#save')
  expect(server.requests('PUT', '/me/volunteer-profile')[0].body).toEqual({
    real_name: '陈晓', phone: '13900000202', skills: ['急救', '摄影', '英语'], service_categories: [],
    id_number: '11010519491231002X', consent: true,
  })
  expect(phone.callsOf('navigateBack')).toHaveLength(1)
  expect(profile.data.form.idNumber).toBe('') // never kept on the phone, never shown back
  expect(text(profile, '.id-on-file')).toBe('已登记，尾号 002X；不修改请留空')
  expect(profile.dom.textContent).not.toContain('11010519491231002X')

  // saved again without typing the ID number: it stays on file (not sent)
  profile.querySelector('.consent-group').dispatchEvent('change', { detail: { value: ['yes'] } })
  await tap(profile, '#save')
  expect(server.requests('PUT', '/me/volunteer-profile')[1].body).not.toHaveProperty('id_number')
  expect(w.profile.id_number_last4).toBe('002X')

  await team.instance.onShow() // back on the team
  await settle()
  expect(team.querySelector('.profile-first')).toBeUndefined()
  await tap(team, '#join')
  expect(server.requests('POST', '/volunteer-teams/1/join')).toHaveLength(1)
  expect(phone.callsOf('showToast').pop().title).toBe('已加入服务队')
  expect(text(team, '.team-status')).toBe('已加入')
  expect(text(team, '.team-policy')).toBe('成员 13/30 · 直接加入')
  expect(team.querySelector('#join')).toBeUndefined()
})

test('a team a leader approves: 申请加入 → pending; withdrawing the request (asked first)', async () => {
  const env = world()
  const { server, phone } = env
  env.w.profile = { user_id: 7, real_name: '陈晓', phone: '13900000202', skills: [], service_categories: [], id_number_last4: null, consented_at: iso(Date.now()), consent_version: '2026-01' }
  const team = await open(env, 'team', { id: '2' })
  expect(text(team, '#join')).toBe('申请加入')
  await tap(team, '#join')
  expect(phone.callsOf('showToast').pop().title).toBe('已提交申请，等待负责人审核')
  expect(text(team, '.team-status')).toBe('待审核')
  expect(text(team, '#leave')).toBe('撤回申请')

  phone.state.modalConfirm = false
  await tap(team, '#leave')
  expect(server.requests('POST', '/volunteer-teams/2/leave')).toHaveLength(0)
  phone.state.modalConfirm = true
  await tap(team, '#leave')
  expect(server.requests('POST', '/volunteer-teams/2/leave')).toHaveLength(1)
  expect(text(team, '#join')).toBe('申请加入')
})

test('the API refusing a join (no profile after all) shows its message and sends to the profile', async () => {
  const env = world()
  env.w.profile = { user_id: 7, real_name: '陈晓', phone: '13900000202', skills: [], service_categories: [], id_number_last4: null, consented_at: iso(Date.now()), consent_version: '2026-01' }
  const team = await open(env, 'team', { id: '1' })
  env.w.profile = null // e.g. removed meanwhile
  await tap(team, '#join')
  expect(text(team, '.error-box')).toBe('请先填写志愿者信息并同意《志愿者信息使用说明》。')
  expect(text(team, '.profile-first')).toBe('加入服务队前请先填写志愿者信息')
})

test('sign up when full → the waitlist and my place on it; the subscribe consent asked in the tap; withdraw', async () => {
  const env = world()
  const { server, phone } = env
  const page = await open(env, 'activity', { id: '41' })
  expect(text(page, '.activity-when')).toMatch(/^\d\d-\d\d 周. \d\d:\d\d–\d\d:\d\d$/)
  expect(text(page, '.seats')).toBe('已报名 1/1 · 候补 1')
  expect(text(page, '#signup')).toBe('名额已满，报名候补')
  expect(page.querySelector('.attendance')).toBeUndefined() // days ahead: no check-in yet
  await tap(page, '.open-map')
  expect(phone.callsOf('openLocation')[0]).toMatchObject({ latitude: 30.61, longitude: 104.005, name: '锦江绿道晋阳段' })

  await tap(page, '#signup')
  expect(phone.callsOf('requestSubscribeMessage')[0].tmplIds).toEqual(['tmpl-volunteer'])
  await settle()
  expect(server.subscriptions).toEqual([{ 'tmpl-volunteer': 'accept' }])
  const [post] = server.requests('POST', '/volunteer-activities/41/signup')
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(phone.callsOf('showToast').pop().title).toBe('名额已满，您在候补第 2 位')
  expect(text(page, '.my-signup')).toBe('候补第 2 位')
  expect(text(page, '.seats')).toBe('已报名 1/1 · 候补 2')
  expect(page.querySelector('#signup')).toBeUndefined()

  // the activity itself carries the position once the API adds it: that one is shown
  env.w.activities[41].waitlist_position = 1
  await page.instance.load()
  expect(text(page, '.my-signup')).toBe('候补第 1 位')

  await tap(page, '#withdraw')
  expect(server.requests('POST', '/volunteer-activities/41/withdraw')).toHaveLength(1)
  expect(phone.callsOf('showToast').pop().title).toBe('已取消报名')
  expect(text(page, '.my-signup')).toBe('已取消报名')
  expect(text(page, '#signup')).toBe('名额已满，报名候补')
})

test('past the sign-up deadline: no 报名 button, and the page says why', async () => {
  const env = world()
  env.w.activities[42].my_signup = null
  const page = await open(env, 'activity', { id: '42' })
  expect(text(page, '.signup-closed')).toBe('报名已截止')
  expect(page.querySelector('#signup')).toBeUndefined()
  expect(page.querySelector('.attendance')).toBeUndefined() // not signed up: no check-in
})

test('a sign-up whose answer was lost: tapping again signs up once, with the same key', async () => {
  const env = world()
  const { server } = env
  env.w.activities[41].signed = 0
  server.failNext((r) => r.method === 'POST' && r.path === '/volunteer-activities/41/signup', 'timeout', true)
  const page = await open(env, 'activity', { id: '41' })
  expect(text(page, '#signup')).toBe('我要报名')
  await tap(page, '#signup')
  expect(page.data.error).toBe('网络太慢，请求超时，请稍后重试。')
  await tap(page, '#signup')
  const posts = server.requests('POST', '/volunteer-activities/41/signup')
  expect(posts).toHaveLength(2)
  expect(posts[1].header['idempotency-key']).toBe(posts[0].header['idempotency-key'])
  expect(env.w.activities[41].signed).toBe(1)
  expect(text(page, '.my-signup')).toBe('已报名')
})

test('check in with the leader\'s code: a wrong one shows the API\'s message, then in and out', async () => {
  const env = world()
  const { server, phone } = env
  const page = await open(env, 'activity', { id: '42' })
  expect(text(page, '#submit-code')).toBe('签到')
  type(page, '#code', '12 3')
  await tap(page, '#submit-code')
  expect(text(page, '.code-error')).toBe('签到码是 6 位字符')
  expect(server.requests('POST', '/volunteer-activities/42/check-in')).toHaveLength(0)

  type(page, '#code', '111111')
  await tap(page, '#submit-code')
  expect(server.requests('POST', '/volunteer-activities/42/check-in')[0].body).toEqual({ code: '111111' })
  expect(text(page, '.code-error')).toBe(WRONG_CODE_MESSAGE)
  expect(text(page, '.error-box')).toContain(WRONG_CODE_MESSAGE)

  type(page, '#code', ` ${CODE} `)
  await tap(page, '#submit-code')
  expect(server.requests('POST', '/volunteer-activities/42/check-in')[1].body).toEqual({ code: CODE })
  expect(phone.callsOf('showToast').pop().title).toBe('签到成功')
  expect(page.querySelector('.code-error')).toBeUndefined()
  expect(text(page, '.attendance-text')).toMatch(/^已于 \d\d:\d\d 签到$/)
  expect(text(page, '#submit-code')).toBe('签退')
  expect(page.data.code).toBe('')

  type(page, '#code', CODE)
  await tap(page, '#submit-code')
  expect(server.requests('POST', '/volunteer-activities/42/check-out')).toHaveLength(1)
  expect(phone.callsOf('showToast').pop().title).toBe('签退成功，时长待负责人认定')
  expect(text(page, '.attendance-text')).toMatch(/^签到 \d\d:\d\d · 签退 \d\d:\d\d · 2 小时（待认定）$/)
  expect(page.querySelector('#submit-code')).toBeUndefined()
})

test('scanning the code: a bare code or a link with it; another activity\'s code is refused on the phone', async () => {
  const env = world()
  const { server, phone } = env
  let scanned = ''
  phone.wx.scanCode = (o) => {
    phone.state.calls.push(['scanCode', o])
    setTimeout(() => (scanned === null ? o.fail({ errMsg: 'scanCode:fail cancel' }) : o.success({ result: scanned, scanType: 'QR_CODE' })), 0)
  }
  const page = await open(env, 'activity', { id: '42' })
  scanned = null // cancelled: nothing happens
  await tap(page, '#scan')
  expect(page.data.error).toBe('')
  scanned = 'https://linli.test/checkin?activity=41&code=482913'
  await tap(page, '#scan')
  expect(text(page, '.code-error')).toBe('这是其他活动的签到码')
  scanned = 'hello'
  await tap(page, '#scan')
  expect(text(page, '.code-error')).toBe('没有识别出签到码，请手动输入')
  expect(server.requests('POST', '/volunteer-activities/42/check-in')).toHaveLength(0)

  scanned = `linli://checkin?activity=42&code=${CODE}`
  await tap(page, '#scan')
  expect(phone.callsOf('scanCode')[0]).toMatchObject({ onlyFromCamera: true })
  expect(server.requests('POST', '/volunteer-activities/42/check-in')[0].body).toEqual({ code: CODE })
  expect(text(page, '#submit-code')).toBe('签退')
  scanned = CODE
  await tap(page, '#scan')
  expect(server.requests('POST', '/volunteer-activities/42/check-out')[0].body).toEqual({ code: CODE })
})

test('my records, approved hours and star level; the record of service shown in-app, in English too', async () => {
  const env = world()
  const { server, phone } = env
  const page = await open(env, 'records')
  expect(text(page, '.summary-hours')).toBe('120.5 小时')
  expect(all(page, '.record-item')).toHaveLength(1)
  expect(text(page, '.record-item .item-title')).toBe('敬老院陪伴')
  expect(text(page, '.record-status')).toBe('已认定')
  expect(text(page, '.record-hours')).toBe('2.5 小时')
  expect(text(page, '.record-item .muted')).toBe('10-03 周六 09:00–11:30 · 2.5 小时')
  await tap(page, '#certificate')
  expect(phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/volunteers/certificate'])

  const cert = await open(env, 'certificate')
  const [get] = server.requests('GET', '/me/volunteer-record.html')
  expect(get.header.authorization).toMatch(/^Bearer /)
  expect(cert.data.html).toMatch(/^<h1>志愿服务记录<\/h1>/)
  expect(cert.data.html).not.toMatch(/<style|<head|<title/)
  expect(cert.data.html).toContain('<td style="border:1px solid #999;padding:4px">锦江河道捡拾垃圾</td>')
  expect(cert.data.html).toContain('仅为本平台记录')

  env.mod('utils/i18n').setLang('en')
  await settle(40)
  expect(text(page, '.summary-hours')).toBe('120.5 h')
  expect(text(page, '.summary-level')).toBe('1-star volunteer')
  expect(text(page, '.record-status')).toBe('Approved')
  expect(text(page, '#certificate')).toBe('Record of service')
  expect(server.log[server.log.length - 1].header['accept-language']).toBe('en')
})

describe('logic', () => {
  const load = () => {
    setup()
    return require('../logic/volunteers')
  }

  test('activity buttons follow the time, the status and my sign-up', () => {
    const v = load()
    const now = Date.parse('2027-01-06T08:00:00Z')
    const a = { id: 1, team_id: 1, title: 'x', start_at: '2027-01-06T10:00:00Z', end_at: '2027-01-06T12:00:00Z', signup_deadline: '2027-01-06T09:00:00Z', capacity: 2, signed: 1, status: 'published', my_signup: null }
    expect(v.activityView(a, now)).toMatchObject({ canSignUp: true, canWithdraw: false, inWindow: false, full: false })
    expect(v.activityView(a, Date.parse('2027-01-06T09:00:01Z'))).toMatchObject({ canSignUp: false, closed: true }) // after the deadline
    expect(v.activityView(a, now).closed).toBe(false)
    expect(v.activityView(Object.assign({}, a, { status: 'cancelled' }), now).canSignUp).toBe(false)
    const mine = Object.assign({}, a, { my_signup: 'signed' })
    expect(v.activityView(mine, now)).toMatchObject({ canSignUp: false, canWithdraw: true, inWindow: false })
    expect(v.activityView(mine, Date.parse('2027-01-06T09:00:01Z')).closed).toBe(false) // signed: nothing to explain
    expect(v.activityView(mine, Date.parse('2027-01-06T09:30:00Z')).inWindow).toBe(true) // 30 minutes before
    expect(v.activityView(mine, Date.parse('2027-01-06T12:30:00Z')).inWindow).toBe(true)
    expect(v.activityView(mine, Date.parse('2027-01-06T12:30:01Z')).inWindow).toBe(false)
    expect(v.activityView(Object.assign({}, mine, { my_signup: 'waitlisted' }), Date.parse('2027-01-06T10:00:00Z')).inWindow).toBe(false)
    expect(v.activityView(Object.assign({}, a, { my_signup: 'withdrawn' }), now).canSignUp).toBe(true)
    expect(v.signupText('waitlisted', null)).toBe('候补中')
  })

  test('codes typed and scanned', () => {
    const v = load()
    expect(v.normalizeCode(' 48 29 13 ')).toBe('482913')
    expect(v.validCode('48291')).toBe(false)
    expect(v.validCode('a8291b')).toBe(false) // upper-cased first by normalizeCode
    expect(v.validCode('A8291B')).toBe(true)
    expect(v.parseScanned('482913', 5)).toEqual({ code: '482913' })
    expect(v.parseScanned('https://x/c?code=482913&activity=5', 5)).toEqual({ code: '482913' })
    expect(v.parseScanned('https://x/c?activity_id=6&code=482913', 5)).toEqual({ error: 'vol_scan_other_activity' })
    expect(v.parseScanned('code=48291', 5)).toEqual({ error: 'vol_scan_unreadable' })
    expect(v.parseScanned(undefined, 5)).toEqual({ error: 'vol_scan_unreadable' })
  })

  test('the profile body: tags split, the ID number sent only when typed (or cleared)', () => {
    const v = load()
    const form = Object.assign(v.profileForm({ real_name: ' 陈晓 ', phone: '13900000202', skills: ['急救'], service_categories: ['助老'], id_number_last4: '002X' }), { consent: true })
    expect(form).toMatchObject({ skills: '急救', categories: '助老', idNumber: '', idLast4: '002X' })
    expect(v.profileBody(form)).toEqual({ real_name: '陈晓', phone: '13900000202', skills: ['急救'], service_categories: ['助老'], consent: true })
    expect(v.profileBody(form, true).id_number).toBeNull()
    expect(v.profileBody(Object.assign({}, form, { idNumber: '1101 0519 4912 3100 2x' })).id_number).toBe('11010519491231002X')
    expect(v.tags('急救，摄影;; 英语 ')).toEqual(['急救', '摄影', '英语'])
  })

  test('lists are pages {items, next_cursor}; listAll follows the cursor, 200 a page', async () => {
    const env = world()
    const api = env.mod('utils/api')
    expect(await api.volunteerActivities()).toEqual({ items: [env.w.activities[41]], next_cursor: 'p2', total: null })
    expect((await api.listAll('/volunteer-activities')).map((a) => a.id)).toEqual([41, 42])
    expect(env.server.requests('GET', '/volunteer-activities').slice(1).map((r) => [r.query.limit, r.query.cursor]))
      .toEqual([['200', undefined], ['200', 'p2']])
    expect((await api.listAll('/volunteer-activities', {}, 1)).map((a) => a.id)).toEqual([41])
    expect(await api.volunteerProfile()).toBeNull() // 404 profile_required: none yet
    env.server.route('GET', '/me/volunteer-profile', () => error(500, 'internal', '服务器出错了'))
    await expect(api.volunteerProfile()).rejects.toMatchObject({ status: 500 })
  })
})
