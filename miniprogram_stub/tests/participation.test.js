// 居民参与 on the participation pages, driven with a fake `wx` and a fake API: every page in
// Chinese and English; declaring my home (sent once with its key); the community notices on
// 首页 with unread marks and the read reported when a notice is opened; a 公示's objection
// window (object during it; closed after; an unconfirmed resident told why); proposals with
// photos and a key, supporting once; the fund and its ledger; a ballot (pick-N and within the
// budget), the 409 second ballot said kindly, and an unconfirmed resident told why not.
const fs = require('fs')
const path = require('path')
const { ROOT, setup, render, text, all, settle } = require('./helpers/env')

const PAGES = ['index', 'residency', 'notice', 'proposals', 'proposal', 'propose', 'fund', 'vote', 'council', 'meeting', 'project']
const QUERY = { notice: { id: '61' }, proposals: { community: '3' }, proposal: { id: '71' }, propose: { community: '3' }, fund: { community: '3' }, vote: { id: '91' }, council: { community: '3' }, meeting: { id: '31' }, project: { id: '1' } }
const { participationApi, withHome, ALREADY } = require('./helpers/participation-api')

function world(lang, { home = 'confirmed' } = {}) {
  const env = setup()
  env.w = participationApi(env.server)
  withHome(env.w, home)
  if (lang) env.mod('utils/i18n').setLang(lang)
  return env
}

async function open(env, name, query = {}) {
  const page = render(env.simulate, name, `pages/participation/${name}`)
  // as WeChat opens a page: onLoad, then onShow (a later onShow is a return to it)
  await page.instance.onLoad(query)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

function type(page, selector, value) {
  page.querySelector(selector).dispatchEvent('input', { detail: { value } })
}

const words = (page, selector) => all(page, selector).map((n) => n.dom.textContent.replace(/\s+/g, ' ').trim())

describe('every participation page renders, in Chinese and in English', () => {
  const cases = PAGES.flatMap((name) => [[name, 'zh'], [name, 'en']])
  test.each(cases)('%s (%s)', async (name, lang) => {
    const env = world(lang)
    const page = await open(env, name, QUERY[name])
    expect(page.data.error).toBe('')
    expect(page.dom.innerHTML.length).toBeGreaterThan(0)
    expect(page.data.lang).toBe(lang)
    const key = name === 'index' ? 'nav_participation' : `nav_pt_${name}`
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `pages/participation/${name}.json`), 'utf8'))
    expect(json.navigationBarTitleText).toBe(require('../i18n/zh')[key])
    expect(env.phone.callsOf('setNavigationBarTitle')[0].title).toBe(require(`../i18n/${lang}`)[key])
    if (lang === 'en') expect(page.dom.textContent).not.toMatch(/已确认|附议|公示期|基金总额|已选|登记住址|提交/)
  })
})

test('the dictionaries have the words made from API values', () => {
  const zh = require('../i18n/zh')
  const en = require('../i18n/en')
  const keys = ['pending', 'confirmed', 'rejected', 'ended'].map((s) => `pt_residency_${s}`)
    .concat(['open', 'on_agenda', 'accepted', 'rejected', 'merged'].map((s) => `pt_proposal_${s}`))
    .concat(['none', 'pending', 'rejected', 'ended'].map((s) => `pt_no_voice_${s}`))
    .concat(['chair', 'member'].map((s) => `pt_role_${s}`), ['council', 'supervisory'].map((s) => `pt_body_${s}`))
    .concat(['council', 'yard'].map((s) => `pt_meeting_${s}`), ['passed', 'failed'].map((s) => `pt_result_${s}`))
    .concat(['funded', 'accepted'].map((s) => `pt_project_${s}`), ['passed', 'failed'].map((s) => `pt_accept_${s}`))
  keys.forEach((k) => {
    expect(zh[k]).toBeTruthy()
    expect(en[k]).toBeTruthy()
  })
})

test('我的 leads residents to 居民参与', async () => {
  const env = world()
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  await settle()
  await tap(me, '.participation-link')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/participation/index'])
})

test('declare my home: checked on the phone, sent once with its key (a lost answer retried), then its status', async () => {
  const env = world(null, { home: null })
  const { server, phone, w } = env
  const hub = await open(env, 'index')
  expect(text(hub, '.no-home')).toMatch(/^还没有登记住址/)
  expect(hub.querySelector('.proposals-link')).toBeUndefined()

  const page = await open(env, 'residency')
  expect(page.data.names).toEqual(['晋阳社区', '桐梓林社区'])
  // every community, page after page (one a page here), 200 asked for each time
  expect(server.requests('GET', '/places').map((r) => [r.query.limit, r.query.cursor])).toEqual([['200', undefined], ['200', '1']])
  await tap(page, '#declare')
  expect(page.data.fieldErrors).toEqual({ community_id: '请选择社区', room: '请填写房号', phone: '请输入 11 位手机号' })
  expect(server.requests('POST', '/me/residencies')).toHaveLength(0)

  page.querySelector('#community').dispatchEvent('change', { detail: { value: '0' } })
  type(page, '#building', '3栋')
  type(page, '#unit', '2单元')
  type(page, '#room', ' 501 ')
  type(page, '#phone', '13900000001')
  await settle()
  expect(text(page, '.community-choice')).toBe('晋阳社区')
  expect(page.data.yardNames).toEqual(['晋阳小区']) // the yards of the community chosen only
  expect(text(page, '.yard-choice')).toBe('选择院落（可不选）')
  page.querySelector('#yard').dispatchEvent('change', { detail: { value: '0' } })
  await settle()
  expect(text(page, '.yard-choice')).toBe('晋阳小区')
  server.failNext((r) => r.method === 'POST' && r.path === '/me/residencies', 'timeout', true)
  await tap(page, '#declare')
  expect(page.data.error).not.toBe('')
  await tap(page, '#declare') // the retry: the same key, declared once
  const posts = server.requests('POST', '/me/residencies')
  expect(posts).toHaveLength(2)
  expect(posts[0].body).toEqual({ community_id: 3, yard_id: 31, building: '3栋', unit: '2单元', room: '501', phone: '13900000001' })
  expect(posts[1].header['idempotency-key']).toBe(posts[0].header['idempotency-key'])
  expect(w.residencies).toHaveLength(1)
  expect(text(page, '.declared')).toBe('晋阳社区 3栋 2单元 501 · 待社区确认')
  expect(phone.callsOf('showToast').pop().title).toBe('已提交，等待社区确认')

  await hub.instance.onShow()
  await settle()
  expect(words(hub, '.home-status')).toEqual(['待社区确认'])
  expect(text(hub, '.no-voice')).toMatch(/^住址确认后/)
  expect(text(hub, '.fund-closed')).toBe('社区基金与投票 · 住址确认后可查看')
  w.confirm()
  await hub.instance.onShow()
  await settle()
  expect(words(hub, '.home-status')).toEqual(['已确认'])
  expect(hub.querySelector('.no-voice')).toBeUndefined()
  await tap(hub, '.fund-link')
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/fund?community=3')
})

test('the page the residency notices open shows my homes and their status, the reason when rejected', async () => {
  const env = world(null, { home: 'rejected' })
  const page = await open(env, 'residency')
  expect(words(page, '.declared-home')).toEqual(['晋阳社区 3栋 2单元 501未通过原因：名册中无此房号'])
  expect(page.querySelector('#declare')).toBeDefined()
})

test('我已搬离: asked first; a refusal leaves the home, a confirmation ends it and the page shows it', async () => {
  const env = world(null, { home: 'confirmed' })
  const { server, phone, w } = env
  const page = await open(env, 'residency')
  expect(words(page, '.declared-home')).toEqual(['晋阳社区 3栋 2单元 501已确认我已搬离'])
  phone.state.modalConfirm = false
  await tap(page, '.move-out')
  expect(server.requests('POST', '/residencies/50/end')).toHaveLength(0)
  phone.state.modalConfirm = true
  await tap(page, '.move-out')
  await settle()
  expect(server.requests('POST', '/residencies/50/end')).toHaveLength(1)
  expect(w.residencies[0].status).toBe('ended')
  expect(words(page, '.declared-home')).toEqual(['晋阳社区 3栋 2单元 501已注销'])
  expect(page.querySelector('.move-out')).toBeUndefined()
  expect(phone.callsOf('showToast').pop().title).toBe('已登记搬离')
})

test('首页: community notices with unread marks; opening one reports the read once', async () => {
  const env = world()
  const { server, phone } = env
  const home = render(env.simulate, 'home')
  await home.instance.onLoad({})
  await settle()
  expect(words(home, '.community-notice .item-title')).toEqual(['未读 2026 年社区基金投票结果公示', '未读 周六停水通知'])
  await tap(home, '.community-notice')
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/notice?id=61')
  expect(words(home, '.community-notice .unread-mark')).toEqual(['未读']) // marked at once

  const notice = await open(env, 'notice', { id: '61' })
  expect(server.requests('POST', '/notices/61/read')).toHaveLength(1)
  expect(text(notice, '.notice-title')).toBe('2026 年社区基金投票结果公示')
  expect(text(notice, '.hint')).toMatch(/5 人已读$/) // the count the read answered
  await notice.instance.onLoad({ id: '61' }) // opened again: already read, not reported again
  await settle()
  expect(notice.data.notice.read).toBe(true)
  expect(server.requests('POST', '/notices/61/read')).toHaveLength(1)

  await home.instance.onShow()
  await settle()
  expect(words(home, '.community-notice .unread-mark')).toEqual(['未读'])
  expect(home.data.communityNotices.find((n) => n.id === 61).read).toBe(true)
})

test('首页 without any home declared (or an older server): no community notices, no error', async () => {
  const env = world(null, { home: null })
  const home = render(env.simulate, 'home')
  await home.instance.onLoad({})
  await settle()
  expect(home.data.error).toBe('')
  expect(home.querySelector('.community-notices')).toBeUndefined()
})

test('a 公示: its window; a confirmed resident objects during it (sent once), sees the answer later', async () => {
  const env = world()
  const { server, w } = env
  const page = await open(env, 'notice', { id: '61' })
  expect(text(page, '.notice-kind')).toBe('公示')
  expect(text(page, '.notice-window')).toMatch(/^公示期：\d\d-\d\d \d\d:\d\d 至 \d\d-\d\d \d\d:\d\d（公示期内可提出异议）$/)
  await tap(page, '#object')
  expect(text(page, '.objection-error')).toBe('必填')
  type(page, '#objection', '路灯的报价偏高，请公开比价。')
  await tap(page, '#object')
  const [post] = server.requests('POST', '/notices/61/objections')
  expect(post.body).toEqual({ body: '路灯的报价偏高，请公开比价。' })
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(words(page, '.my-objection .objection-answer')).toEqual(['等待社区答复'])

  Object.assign(w.objections[0], { answer: '已公开三家报价。', answered_at: new Date().toISOString() })
  await page.instance.load(false)
  await settle()
  expect(words(page, '.objection-answer')).toEqual(['答复：已公开三家报价。'])
})

test('after the notice period: no objection form, the reason instead', async () => {
  const env = world()
  const closed = await open(env, 'notice', { id: '63' })
  expect(closed.querySelector('#object')).toBeUndefined()
  expect(text(closed, '.objection-closed')).toBe('不在公示期内，不能提出异议。')
})

test('an unconfirmed resident: no objection form during the window, the reason instead; a 公告 has no window', async () => {
  const env = world(null, { home: 'pending' })
  const page = await open(env, 'notice', { id: '61' })
  expect(page.querySelector('#object')).toBeUndefined()
  expect(text(page, '.objection-closed')).toBe('只有住址已确认的本社区居民才能提出异议。')
  await page.instance.onLoad({ id: '62' })
  await settle()
  expect(text(page, '.notice-title')).toBe('周六停水通知')
  expect(page.querySelector('.objection-card')).toBeUndefined()
})

test('a proposal: supports against the threshold; 附议 once puts it on the agenda', async () => {
  const env = world()
  const { server, phone } = env
  const list = await open(env, 'proposals', { community: '3' })
  expect(server.requests('GET', '/proposals')[0].query).toMatchObject({ community_id: '3', sort: 'new' })
  expect(words(list, '.proposal-item .hint')).toEqual(['附议 9/10 · ¥3000.00'])
  await tap(list, '#sort-support')
  expect(server.requests('GET', '/proposals')[1].query.sort).toBe('support')
  await tap(list, '.proposal-item')
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/proposal?id=71')

  const page = await open(env, 'proposal', { id: '71' })
  expect(text(page, '.proposal-cost')).toBe('¥3000.00')
  expect(page.data.proposal.photos[0].thumb).toBe('https://linli.test/media/5t.jpg')
  await tap(page, '#support')
  await page.instance.support() // the button is gone; a late second tap sends nothing
  await settle()
  expect(server.requests('POST', '/proposals/71/support')).toHaveLength(1)
  expect(phone.callsOf('showToast').pop().title).toBe('已附议，谢谢支持')
  expect(text(page, '.support-count')).toBe('附议 10/10')
  expect(text(page, '.proposal-state')).toBe('已列入议程')
  expect(text(page, '.supported-mark')).toBe('已附议')
  expect(page.querySelector('#support')).toBeUndefined()
})

test('an unconfirmed resident cannot support: the reason instead of the button', async () => {
  const env = world(null, { home: 'pending' })
  const page = await open(env, 'proposal', { id: '71' })
  expect(page.querySelector('#support')).toBeUndefined()
  expect(text(page, '.support-block')).toBe('您的住址正在等待社区确认，确认后才能投票。')
})

test('propose with photos: uploaded one by one, then filed once with their ids and a key', async () => {
  const env = world()
  const { server, phone } = env
  const page = await open(env, 'propose', { community: '3' })
  type(page, '#title', '小区路灯太暗')
  type(page, '#problem', '晚上看不清台阶。')
  type(page, '#action', '更换 LED 路灯。')
  type(page, '#cost', '12000.5x')
  await page.querySelector('#photos').instance.add()
  await settle()
  await tap(page, '#submit')
  expect(text(page, '.cost-error')).toBe('请填写金额，最多两位小数')
  expect(server.requests('POST', '/proposals')).toHaveLength(0)
  page.instance.onInput({ currentTarget: { dataset: { field: 'cost' } }, detail: { value: '12000.5' } })
  await page.instance.submit()
  await settle()
  const uploads = server.log.filter((r) => r.path === '/uploads')
  expect(uploads.map((u) => u.formData.purpose)).toEqual(['proposal', 'proposal'])
  const [post] = server.requests('POST', '/proposals')
  expect(post.body).toEqual({
    community_id: 3, title: '小区路灯太暗', problem: '晚上看不清台阶。', action: '更换 LED 路灯。',
    estimated_cost: '12000.5', photo_ids: [501, 502],
  })
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(phone.callsOf('redirectTo').pop().url).toBe('/pages/participation/proposal?id=72')
})

test('the fund: budget, negative list, the ledger with its running balance, the votes', async () => {
  const env = world()
  const page = await open(env, 'fund', { community: '3' })
  expect(text(page, '.fund-amount')).toBe('¥50000.00')
  expect(text(page, '.fund-remaining')).toBe('¥47000.00')
  expect(text(page, '.negative-list')).toBe('负面清单（不能使用基金）：人员工资、宴请')
  expect(words(page, '.ledger-running')).toEqual(['结余 ¥50000.00', '结余 ¥48799.50'])
  expect(words(page, '.ledger-out')).toEqual(['-¥1200.50'])
  expect(text(page, '.ledger-balance')).toBe('¥48799.50')
  expect(page.data.ledger.balanced).toBe(true)
  expect(words(page, '.round-item .item-title')).toEqual(['2026 微项目投票', '院落微更新（预算内）'])
  await tap(page, '.round-item')
  expect(env.phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/vote?id=91')
})

test('a pick-N ballot: at most N, asked first, cast once with a key; the second ballot (409) said kindly', async () => {
  const env = world()
  const { server, phone, w } = env
  const page = await open(env, 'vote', { id: '91' })
  expect(text(page, '.round-rule')).toBe('最多选 2 项')
  await tap(page, '#cast')
  expect(text(page, '.choice-error')).toBe('请至少选择一项')
  const options = all(page, '.option-item')
  options[0].dispatchEvent('tap')
  options[1].dispatchEvent('tap')
  options[2].dispatchEvent('tap')
  await settle()
  expect(text(page, '.choice-error')).toBe('最多选择 2 项')
  expect(text(page, '.chosen-text')).toBe('已选 2/2 项')

  phone.state.modalConfirm = false
  await tap(page, '#cast')
  expect(server.requests('POST', '/vote-rounds/91/ballots')).toHaveLength(0)
  phone.state.modalConfirm = true
  await tap(page, '#cast')
  const [post] = server.requests('POST', '/vote-rounds/91/ballots')
  expect(post.body).toEqual({ option_ids: [1, 2] })
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(phone.callsOf('showToast').pop().title).toBe('投票成功，谢谢参与')
  expect(text(page, '.round-status')).toBe('已投票')
  expect(page.querySelector('#cast')).toBeUndefined()

  expect(w.ballots[91]).toEqual([1, 2])
})

test('a second ballot (409: a paper ballot was entered for me meanwhile) is said kindly, with my ballot', async () => {
  const env = world()
  const { server, w } = env
  const page = await open(env, 'vote', { id: '91' })
  w.ballots[91] = [2, 3] // staff entered my paper ballot after the page loaded
  all(page, '.option-item')[0].dispatchEvent('tap')
  await tap(page, '#cast')
  await settle()
  expect(server.requests('POST', '/vote-rounds/91/ballots')).toHaveLength(1)
  expect(page.data.error).toBe('')
  expect(page.querySelector('.error-box')).toBeUndefined()
  expect(text(page, '.already-voted')).toBe(`您已经投过票了，每人每轮一票，下面是您的选票。谢谢参与！（${ALREADY}）`)
  expect(page.data.round.options.filter((o) => o.chosen).map((o) => o.id)).toEqual([2, 3])
  expect(text(page, '.round-status')).toBe('已投票')
  expect(page.querySelector('#cast')).toBeUndefined()
})

test('a ballot within the budget: an option that would go over is refused on the phone', async () => {
  const env = world()
  const page = await open(env, 'vote', { id: '92' })
  expect(text(page, '.round-rule')).toBe('所选项目合计不超过 ¥15000.00')
  const options = all(page, '.option-item')
  options[0].dispatchEvent('tap') // 6000
  options[1].dispatchEvent('tap') // 8000 → 14000
  options[2].dispatchEvent('tap') // 4000 → 18000: refused
  await settle()
  expect(text(page, '.choice-error')).toBe('所选项目合计超出预算（¥15000.00）')
  expect(text(page, '.chosen-text')).toBe('已选合计 ¥14000.00，预算 ¥15000.00')
  await tap(page, '#cast')
  expect(env.server.requests('POST', '/vote-rounds/92/ballots')[0].body).toEqual({ option_ids: [4, 5] })
})

test.each([
  ['pending', null, '您的住址正在等待社区确认，确认后才能投票。'],
  ['rejected', 'en', 'Your home was not confirmed (名册中无此房号); declare it again to vote.'],
  [null, null, '您还没有在本社区登记住址。登记并经社区确认后才能投票。'],
])('a resident whose home is %s sees why they cannot vote (the round is hidden from them)', async (home, lang, why) => {
  const env = world(lang, { home })
  const page = await open(env, 'vote', { id: '91' })
  expect(page.data.error).toBe('')
  expect(text(page, '.vote-block')).toBe(why)
  expect(page.querySelector('#cast')).toBeUndefined()
})

test('议事会: members with their terms by body, the meetings; a meeting with each decision', async () => {
  const env = world()
  const { server, phone } = env
  const hub = await open(env, 'index')
  await tap(hub, '.council-link')
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/council?community=3')

  const page = await open(env, 'council', { community: '3' })
  expect(server.requests('GET', '/communities/3/meetings')[0].query).toMatchObject({ limit: '100' })
  expect(words(page, '.group-title')).toEqual(['议事会', '监督委员会'])
  expect(words(page, '.member-name')).toEqual(['李建国', '王芳', '赵敏'])
  expect(words(page, '.member-role')).toEqual(['主任', '成员', '成员'])
  expect(words(page, '.member-term')[2]).toBe('任期 2025-01-01 至 2027-12-31')
  expect(words(page, '.meeting-item .item-title')).toEqual(['2 号院坝坝会', '2026 年第一次议事会'])
  expect(words(page, '.meeting-item .badge')).toEqual(['坝坝会', '议事会会议'])
  expect(words(page, '.meeting-summary')[1]).toMatch(/03-05 19:00 · 议程 3 项，通过 1 项$/)
  all(page, '.meeting-item')[1].dispatchEvent('tap')
  await settle()
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/meeting?id=31')

  const meeting = await open(env, 'meeting', { id: '31' })
  expect(text(meeting, '.meeting-title')).toBe('2026 年第一次议事会')
  expect(text(meeting, '.meeting-when')).toMatch(/03-05 19:00 · 社区活动室 · 到会 9 人$/) // Shanghai time as sent
  expect(text(meeting, '.meeting-minutes')).toBe('审议三项议题。')
  expect(words(meeting, '.agenda-item .item-title')).toEqual(['3 栋楼道加装扶手', '更换小区大门', '停车位划线'])
  expect(words(meeting, '.decision-result')).toEqual(['通过', '未通过', '未表决'])
  expect(words(meeting, '.decision-votes')).toEqual(['赞成 8 · 反对 1 · 弃权 0', '赞成 3 · 反对 5 · 弃权 1'])
  expect(meeting.querySelector('.decision-people')).toBeUndefined()

  await meeting.instance.onLoad({ id: '32' }) // a yard meeting: who recorded, who witnessed
  await settle()
  expect(text(meeting, '.meeting-kind')).toBe('坝坝会')
  expect(meeting.querySelector('.meeting-minutes')).toBeUndefined()
  expect(words(meeting, '.decision-people')).toEqual(['记录人：陈记 · 监票人：刘监'])
})

test('the council and a meeting in English', async () => {
  const env = world('en')
  const page = await open(env, 'council', { community: '3' })
  expect(words(page, '.group-title')).toEqual(["Residents' council", 'Supervisory committee'])
  expect(words(page, '.member-role')).toEqual(['Chair', 'Member', 'Member'])
  expect(words(page, '.member-term')[0]).toBe('Term 2024-01-01 to 2026-12-31')
  const meeting = await open(env, 'meeting', { id: '32' })
  expect(text(meeting, '.meeting-kind')).toBe('Yard meeting')
  expect(words(meeting, '.decision-result')).toEqual(['Passed'])
  expect(words(meeting, '.decision-votes')).toEqual(['For 30 · Against 6 · Abstain 4'])
  expect(words(meeting, '.decision-people')).toEqual(['Recorder：陈记 · Witness：刘监'])
})

test('a funded project from the fund page: progress, expenses with receipt thumbnails, acceptance', async () => {
  const env = world()
  const { phone } = env
  const fund = await open(env, 'fund', { community: '3' })
  await tap(fund, '.budget-line')
  expect(phone.callsOf('navigateTo').pop().url).toBe('/pages/participation/project?id=1')

  const page = await open(env, 'project', { id: '1' })
  expect(text(page, '.project-title')).toBe('3 栋楼道加装扶手')
  expect(text(page, '.project-status')).toBe('已验收')
  expect(text(page, '.project-amount')).toBe('¥3000.00')
  expect(text(page, '.project-spent')).toBe('¥1200.50')
  expect(words(page, '.progress-note')).toEqual(['材料已采购。', '安装完成。'])
  expect(words(page, '.expense-amount')).toEqual(['¥1200.50'])
  const thumbs = all(page, '.receipt-thumb')
  expect(thumbs).toHaveLength(2)
  expect(page.data.project.expenses[0].receipts.map((r) => r.thumb)).toEqual(['https://linli.test/media/8t.jpg', 'https://linli.test/media/9t.jpg'])
  thumbs[1].dispatchEvent('tap')
  await settle()
  expect(phone.callsOf('previewImage').pop()).toMatchObject({ urls: ['https://linli.test/media/8.jpg', 'https://linli.test/media/9.jpg'], current: 'https://linli.test/media/9.jpg' })
  expect(text(page, '.acceptance-verdict')).toBe('验收通过')
  expect(text(page, '.acceptance-note')).toBe('扶手牢固。')
  expect(text(page, '.acceptance-signed')).toBe('监督委员会签字：赵敏、孙强')
})

test('a project not yet accepted, in English; a resident without a confirmed home is refused', async () => {
  const env = world('en')
  Object.assign(env.w.project, { status: 'funded', progress: [], expenses: [], acceptances: [] })
  const page = await open(env, 'project', { id: '1' })
  expect(text(page, '.project-status')).toBe('In progress')
  expect(text(page, '.no-acceptance')).toBe('Not accepted yet')
  expect(all(page, '.receipt-thumb')).toHaveLength(0)

  const pending = world(null, { home: 'pending' })
  const refused = await open(pending, 'project', { id: '1' })
  expect(refused.data.error).toBe('找不到该社区基金。')
  expect(refused.querySelector('.project-title')).toBeUndefined()
})
