// The participation endpoints of the fake API (tests/helpers/fake-api.js), with what they
// keep: my residencies, reads, objections, supports, ballots. Shared by
// tests/participation.test.js, the load-once test and the pages rendered for the browser.
const DAY = 86400000
const NEEDS_RESIDENCY = '只有居住登记已确认的本社区居民才能投票。'
const ALREADY = '每人每轮只能投一票，您（或您的纸质选票）已投过。'

const iso = (ms) => new Date(ms).toISOString()
const error = (status, code, message, fields) => ({ status, body: { error: { code, message, fields: fields || {} } } })
const ok = (body, status = 200) => ({ status, body })
// A page as the API answers every list: {items, next_cursor, total}, `size` rows from the
// request's cursor (here the position of the next row); total on the first page.
const pageOf = (rows, req, size) => {
  const limit = size || Number(req.query.limit) || 20
  const start = Number(req.query.cursor || 0)
  const next = start + limit < rows.length ? String(start + limit) : null
  return ok({ items: rows.slice(start, start + limit), next_cursor: next, total: start ? null : rows.length })
}

// The participation endpoints with what they keep: my residencies, reads, objections,
// supports, ballots.
function participationApi(server) {
  const now = Date.now()
  const w = {
    residencies: [],
    reads: [],
    objections: [],
    ballots: {},
    communities: [{ id: 3, code: '003', name: '晋阳社区', level: 'community' }, { id: 4, code: '004', name: '桐梓林社区', level: 'community' }],
    yards: [{ id: 31, code: '00301', name: '晋阳小区', level: 'grid3' }, { id: 41, code: '00401', name: '桐梓林东院', level: 'grid3' }],
    notices: {
      61: { id: 61, community_id: 3, community_name: '晋阳社区', kind: 'disclosure', area: 'finance', title: '2026 年社区基金投票结果公示', body: '入选项目：3 栋加装扶手。', publish_from: iso(now - DAY), publish_until: iso(now + 6 * DAY), pinned: true, withdrawn_at: null, is_current: true, read_count: 4 },
      62: { id: 62, community_id: 3, community_name: '晋阳社区', kind: 'notice', area: 'affairs', title: '周六停水通知', body: '周六 9:00–12:00 停水。', publish_from: iso(now - 2 * DAY), publish_until: null, pinned: false, withdrawn_at: null, is_current: true, read_count: 10 },
      63: { id: 63, community_id: 3, community_name: '晋阳社区', kind: 'disclosure', area: 'finance', title: '上月支出公示', body: '', publish_from: iso(now - 10 * DAY), publish_until: iso(now - DAY), pinned: false, withdrawn_at: null, is_current: true, read_count: 1 },
    },
    proposals: {
      71: { id: 71, community_id: 3, community_name: '晋阳社区', place_id: null, place_name: null, title: '3 栋楼道加装扶手', problem: '老人上下楼不便。', action: '每层加装不锈钢扶手。', estimated_cost: '3000.00', photos: [{ id: 5, url: '/media/5.jpg', thumb_url: '/media/5t.jpg' }], state: 'open', support_count: 9, support_threshold: 10, supported: false, mine: false, filed_by_staff: false, meeting_note: '', author_name: null, content_status: 'pass', agenda_at: null, answer_reason: '', answered_at: null, merged_into_id: null, created_at: iso(now - 3 * DAY), version: 1, events: [] },
    },
    fund: { id: 81, community_id: 3, year: 2026, amount: '50000.00', allocated: '3000.00', remaining: '47000.00', negative_list: ['人员工资', '宴请'], note: '', budget_lines: [{ id: 1, proposal_id: 71, vote_option_id: null, title: '3 栋楼道加装扶手', amount: '3000.00' }] },
    ledger: {
      fund_id: 81, year: 2026, income: '50000.00', expense: '1200.50', balance: '48799.50',
      entries: [
        { kind: 'income', id: 1, date: '2026-03-01', amount: '50000.00', title: '区财政拨付', project_id: null, balance: '50000.00' },
        { kind: 'expense', id: 2, date: '2026-04-02', amount: '-1200.50', title: '扶手材料', project_id: 1, balance: '48799.50' },
      ],
    },
    rounds: {
      91: { id: 91, fund_id: 81, community_id: 3, title: '2026 微项目投票', method: 'pick_n', pick_n: 2, budget: '20000.00', opens_at: iso(now - DAY), closes_at: iso(now + DAY), status: 'scheduled', is_open: true, published_at: null, notice_id: null, ballot_count: null, my_choices: null,
        options: [{ id: 1, proposal_id: 71, title: '楼道扶手', cost: '3000.00', position: 1, votes: null, rank: null, won: null }, { id: 2, proposal_id: null, title: '小区路灯', cost: '12000.00', position: 2, votes: null, rank: null, won: null }, { id: 3, proposal_id: null, title: '儿童游乐角', cost: '9000.00', position: 3, votes: null, rank: null, won: null }] },
      92: { id: 92, fund_id: 81, community_id: 3, title: '院落微更新（预算内）', method: 'budget', pick_n: null, budget: '15000.00', opens_at: iso(now - DAY), closes_at: iso(now + DAY), status: 'scheduled', is_open: true, published_at: null, notice_id: null, ballot_count: null, my_choices: null,
        options: [{ id: 4, proposal_id: null, title: '花坛', cost: '6000.00', position: 1, votes: null, rank: null, won: null }, { id: 5, proposal_id: null, title: '座椅', cost: '8000.00', position: 2, votes: null, rank: null, won: null }, { id: 6, proposal_id: null, title: '雨棚', cost: '4000.00', position: 3, votes: null, rank: null, won: null }] },
    },
  }
  const confirmedIn = (cid) => w.residencies.some((r) => r.community_id === cid && r.status === 'confirmed')
  const noticeOut = (n) => Object.assign({}, n, { read: w.reads.indexOf(n.id) >= 0 })
  const roundOut = (r) => Object.assign({}, r, { my_choices: w.ballots[r.id] || null })
  w.confirm = () => w.residencies.forEach((r) => { r.status = 'confirmed'; r.has_voice = true })

  server.route('GET', '/places', (req) => {
    // one community a page: the picker follows next_cursor to the last
    if (req.query.level === 'community') return pageOf(w.communities, req, 1)
    if (req.query.level === 'grid3') return pageOf(w.yards.filter((y) => y.code.startsWith(req.query.code_prefix)), req)
    return pageOf([], req)
  })
  server.route('GET', '/me/residencies', () => ok(w.residencies))
  server.route('POST', /^\/residencies\/(\d+)\/end$/, (req, m) => {
    const row = w.residencies.find((r) => r.id === Number(m[1]))
    if (!row) return error(404, 'not_found', '找不到该住址登记。')
    Object.assign(row, { status: 'ended', has_voice: false })
    return ok(row)
  })
  server.route('POST', '/me/residencies', (req) => server.idempotently(req, () => {
    const b = req.body
    const community = w.communities.find((c) => c.id === b.community_id)
    const row = { id: 50 + w.residencies.length, user_id: 7, community_id: community.id, community_name: community.name, yard_id: null, yard_name: null, building: b.building || '', unit: b.unit || '', room: b.room, name: b.name || '', phone: b.phone, status: 'pending', source: 'declared', reason: '', declared_at: iso(Date.now()), decided_at: null, has_voice: false }
    w.residencies = w.residencies.filter((r) => r.community_id !== community.id).concat([row])
    return ok(row, 201)
  }))
  server.route('GET', '/me/notices', (req) => pageOf(w.residencies.length ? Object.values(w.notices).filter((n) => n.id !== 63 && (!req.query.area || n.area === req.query.area)).map(noticeOut) : [], req))
  server.route('GET', /^\/notices\/(\d+)$/, (req, m) => ok(noticeOut(w.notices[m[1]])))
  server.route('POST', /^\/notices\/(\d+)\/read$/, (req, m) => {
    const id = Number(m[1])
    const first = w.reads.indexOf(id) < 0
    if (first) { w.reads.push(id); w.notices[id].read_count += 1 }
    return ok({ notice_id: id, first_read: first, read_count: w.notices[id].read_count })
  })
  server.route('GET', /^\/notices\/(\d+)\/objections$/, (req, m) => ok(w.objections.filter((o) => o.notice_id === Number(m[1]))))
  server.route('POST', /^\/notices\/(\d+)\/objections$/, (req, m) => server.idempotently(req, () => {
    const n = w.notices[m[1]]
    if (!confirmedIn(n.community_id)) return error(403, 'forbidden', '只有居住登记已确认的本社区居民才能提出异议。')
    if (Date.now() >= Date.parse(n.publish_until)) return error(409, 'conflict', '不在公示期内，不能提出异议。')
    const o = { id: 700 + w.objections.length, notice_id: n.id, body: req.body.body, answer: '', answered_at: null, created_at: iso(Date.now()), mine: true }
    w.objections.push(o)
    return ok(o, 201)
  }))
  server.route('GET', '/proposals', (req) => pageOf(Object.values(w.proposals), req))
  server.route('GET', /^\/proposals\/(\d+)$/, (req, m) => ok(w.proposals[m[1]]))
  server.route('POST', /^\/proposals\/(\d+)\/support$/, (req, m) => {
    const p = w.proposals[m[1]]
    if (!confirmedIn(p.community_id)) return error(403, 'forbidden', '只有居住登记已确认的本社区居民才能提出或附议议题。')
    const first = !p.supported
    if (first) {
      p.supported = true
      p.support_count += 1
      if (p.support_count >= p.support_threshold) {
        p.state = 'on_agenda'
        p.events.push({ kind: 'agenda', from_state: 'open', to_state: 'on_agenda', note: '', by_staff: false, created_at: iso(Date.now()) })
      }
    }
    return ok({ proposal: p, new: first })
  })
  server.route('POST', '/proposals', (req) => server.idempotently(req, () => {
    const b = req.body
    const p = Object.assign({}, w.proposals[71], { id: 72, title: b.title, problem: b.problem, action: b.action, estimated_cost: b.estimated_cost || null, photos: b.photo_ids.map((id) => ({ id, url: `/media/${id}.jpg`, thumb_url: `/media/${id}t.jpg` })), support_count: 0, mine: true, supported: false })
    w.proposals[72] = p
    return ok(p, 201)
  }))
  server.route('GET', /^\/communities\/(\d+)\/funds$/, (req, m) => (confirmedIn(Number(m[1])) ? ok([w.fund]) : error(403, 'forbidden', '无权访问。')))
  server.route('GET', /^\/funds\/81\/ledger$/, () => ok(w.ledger))
  server.route('GET', /^\/funds\/81\/vote-rounds$/, () => ok(Object.values(w.rounds).map(roundOut)))
  server.route('GET', /^\/vote-rounds\/(\d+)$/, (req, m) => (confirmedIn(3) ? ok(roundOut(w.rounds[m[1]])) : error(404, 'not_found', '找不到该社区基金。')))
  w.members = [
    { id: 11, community_id: 3, user_id: null, name: '李建国', body: 'council', role: 'chair', term_start: '2024-01-01', term_end: '2026-12-31' },
    { id: 12, community_id: 3, user_id: 7, name: '王芳', body: 'council', role: 'member', term_start: '2024-01-01', term_end: '2026-12-31' },
    { id: 13, community_id: 3, user_id: null, name: '赵敏', body: 'supervisory', role: 'member', term_start: '2025-01-01', term_end: '2027-12-31' },
  ]
  w.meetings = {
    31: { id: 31, community_id: 3, kind: 'council', title: '2026 年第一次议事会', held_at: '2026-03-05T19:00:00+08:00', place_name: '社区活动室', attendee_count: 9, minutes: '审议三项议题。',
      items: [
        { id: 301, meeting_id: 31, proposal_id: 71, title: '3 栋楼道加装扶手', position: 1, votes_for: 8, votes_against: 1, votes_abstain: 0, result: 'passed', recorder_name: '', witness_name: '', recorded_at: '2026-03-05T20:00:00+08:00' },
        { id: 302, meeting_id: 31, proposal_id: null, title: '更换小区大门', position: 2, votes_for: 3, votes_against: 5, votes_abstain: 1, result: 'failed', recorder_name: '', witness_name: '', recorded_at: '2026-03-05T20:10:00+08:00' },
        { id: 303, meeting_id: 31, proposal_id: null, title: '停车位划线', position: 3, votes_for: null, votes_against: null, votes_abstain: null, result: null, recorder_name: '', witness_name: '', recorded_at: null },
      ] },
    32: { id: 32, community_id: 3, kind: 'yard', title: '2 号院坝坝会', held_at: '2026-04-10T18:30:00+08:00', place_name: '2 号院', attendee_count: 40, minutes: '',
      items: [{ id: 304, meeting_id: 32, proposal_id: null, title: '院内加装晾衣架', position: 1, votes_for: 30, votes_against: 6, votes_abstain: 4, result: 'passed', recorder_name: '陈记', witness_name: '刘监', recorded_at: '2026-04-10T19:30:00+08:00' }] },
  }
  w.project = { id: 1, fund_id: 81, proposal_id: 71, title: '3 栋楼道加装扶手', amount: '3000.00', spent: '1200.50', status: 'accepted',
    progress: [{ id: 1, on_date: '2026-04-01', note: '材料已采购。' }, { id: 2, on_date: '2026-04-20', note: '安装完成。' }],
    expenses: [{ id: 2, line_id: 1, amount: '1200.50', spent_on: '2026-04-02', payee: '五金店', description: '扶手材料', receipts: [{ id: 8, url: '/media/8.jpg', thumb_url: '/media/8t.jpg' }, { id: 9, url: '/media/9.jpg', thumb_url: '/media/9t.jpg' }] }],
    acceptances: [{ id: 1, verdict: 'passed', note: '扶手牢固。', member_names: ['赵敏', '孙强'], created_at: '2026-04-25T02:00:00Z' }] }
  server.route('GET', /^\/communities\/3\/council-members$/, () => ok(w.members))
  server.route('GET', /^\/communities\/3\/meetings$/, (req) => pageOf(Object.values(w.meetings).reverse(), req))
  server.route('GET', /^\/meetings\/(\d+)$/, (req, m) => ok(w.meetings[m[1]]))
  server.route('GET', /^\/budget-lines\/1$/, () => (confirmedIn(3) ? ok(w.project) : error(404, 'not_found', '找不到该社区基金。')))
  server.route('POST', /^\/vote-rounds\/(\d+)\/ballots$/, (req, m) => server.idempotently(req, () => {
    const r = w.rounds[m[1]]
    if (!confirmedIn(r.community_id)) return error(403, 'forbidden', NEEDS_RESIDENCY)
    if (w.ballots[r.id]) return error(409, 'already_voted', ALREADY)
    w.ballots[r.id] = req.body.option_ids.slice().sort()
    return ok({ id: 900, round_id: r.id, source: 'online', cast_at: iso(Date.now()), option_ids: w.ballots[r.id] }, 201)
  }))
  return w
}

// A resident with a home in 晋阳社区 (`home`: its status, or null for none declared).
function withHome(w, home = 'confirmed') {
  if (!home) return
  w.residencies.push({ id: 50, user_id: 7, community_id: 3, community_name: '晋阳社区', yard_id: null, yard_name: null, building: '3栋', unit: '2单元', room: '501', name: '王芳', phone: '13900000001', status: home, source: 'declared', reason: home === 'rejected' ? '名册中无此房号' : '', declared_at: iso(Date.now()), decided_at: null, has_voice: home === 'confirmed' })
}

module.exports = { participationApi, withHome, DAY, NEEDS_RESIDENCY, ALREADY, iso, error, ok, pageOf }
