// The volunteer endpoints of the fake API (tests/helpers/fake-api.js), with what they keep:
// my profile, memberships, sign-ups, records. Shared by tests/volunteers.test.js, the
// load-once test and the pages rendered for the browser.
const HOUR = 3600000
const CODE = '482913'
const WRONG_CODE_MESSAGE = '签到码无效或已过期，请扫描负责人手机上的最新签到码。'
const RECORD_HTML = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>志愿服务记录</title>
<style>body{margin:2em}</style></head><body><h1>志愿服务记录</h1><p>志愿者：陈晓　身份证号：**************002X</p>
<table><thead><tr><th>活动</th><th>时长（小时）</th></tr></thead><tbody><tr><td>锦江河道捡拾垃圾</td><td>2.5</td></tr></tbody></table>
<p class="note">本记录由“邻里”社区治理平台生成，仅为本平台记录。</p></body></html>`

const iso = (ms) => new Date(ms).toISOString()
const error = (status, code, message, fields) => ({ status, body: { error: { code, message, fields: fields || {} } } })
const ok = (body, status = 200) => ({ status, body })

// The volunteer endpoints, with what they keep: my profile, memberships, sign-ups, records.
// The lists answer pages ({items, next_cursor, total}); my teams, a short list, an array.
function volunteerApi(server) {
  const now = Date.now()
  const w = {
    profile: null,
    code: CODE,
    teams: {
      1: { id: 1, place_id: 3, place_name: '晋阳社区', name: '环境保护', description: '每月一次河道清洁', join_policy: 'open', member_limit: 30, members: 12, is_active: true, my_status: null, i_lead: false },
      2: { id: 2, place_id: 3, place_name: '晋阳社区', name: '邻里互助', description: '', join_policy: 'approval', member_limit: null, members: 5, is_active: true, my_status: null, i_lead: false },
    },
    activities: {
      41: {
        id: 41, team_id: 1, team_name: '环境保护', title: '锦江河道捡拾垃圾', content: '沿绿道捡拾垃圾，请穿运动鞋。',
        start_at: iso(now + 48 * HOUR), end_at: iso(now + 51 * HOUR), place_name: '锦江绿道晋阳段', lat: 30.61, lng: 104.005,
        capacity: 1, signed: 1, waiting: 1, signup_deadline: iso(now + 24 * HOUR), status: 'published', my_signup: null,
      },
      42: {
        id: 42, team_id: 1, team_name: '环境保护', title: '垃圾分类宣传', content: '',
        start_at: iso(now - 10 * 60000), end_at: iso(now + 2 * HOUR), place_name: '晋阳社区广场', lat: null, lng: null,
        capacity: 10, signed: 4, waiting: 0, signup_deadline: iso(now - 20 * 60000), status: 'published', my_signup: 'signed',
      },
    },
    records: [{
      id: 9, activity_id: 40, activity_title: '敬老院陪伴', team_name: '环境保护', place_name: '晋阳敬老院', user_id: 7, name: '陈晓',
      check_in_at: '2026-10-03T09:00:00+08:00', check_out_at: '2026-10-03T11:30:00+08:00', hours: 2.5, status: 'approved',
      source: 'code', reason: '', decided_at: '2026-10-04T10:00:00+08:00', revision: 3,
    }],
    summary: { approved_hours: 120.5, star_level: 1, star_name: '一星志愿者', next_level_hours: 300, thresholds: [100, 300, 600, 1000, 1500] },
  }
  const teamOf = (m) => w.teams[Number(m[1])]
  const activityOf = (m) => w.activities[Number(m[1])]
  const membership = (team, status) => {
    team.my_status = status
    return ok({ team_id: team.id, team_name: team.name, user_id: 7, status, is_leader: false, joined_at: status === 'active' ? iso(now) : null, reason: '' })
  }
  const signup = (a, status, position = null) => ok({ id: 300 + a.id, activity_id: a.id, user_id: 7, status, queued_at: iso(Date.now()), promoted_at: null, waitlist_position: position })
  const recordOf = (a) => w.records.find((r) => r.activity_id === a.id)

  server.route('GET', '/notifications/templates', () => ok({ templates: { ticket: 'tmpl-ticket', booking: 'tmpl-booking', volunteer: 'tmpl-volunteer' } }))
  server.route('GET', '/volunteer-teams', () => ok({ items: Object.values(w.teams), next_cursor: null, total: null }))
  server.route('GET', /^\/volunteer-teams\/(\d+)$/, (req, m) => (teamOf(m) ? ok(teamOf(m)) : error(404, 'not_found', '找不到该志愿服务队。')))
  server.route('POST', /^\/volunteer-teams\/(\d+)\/join$/, (req, m) => {
    if (!w.profile) return error(409, 'profile_required', '请先填写志愿者信息并同意《志愿者信息使用说明》。')
    const team = teamOf(m)
    if (team.join_policy === 'open') team.members += 1
    return membership(team, team.join_policy === 'open' ? 'active' : 'pending')
  })
  server.route('POST', /^\/volunteer-teams\/(\d+)\/leave$/, (req, m) => {
    const team = teamOf(m)
    if (team.my_status === 'active') team.members -= 1
    return membership(team, 'left')
  })
  server.route('GET', '/me/volunteer-teams', () => ok(Object.values(w.teams).filter((t) => t.my_status)
    .map((t) => ({ team_id: t.id, team_name: t.name, user_id: 7, status: t.my_status, is_leader: false, joined_at: null, reason: '' }))))
  server.route('GET', '/me/volunteer-profile', () => (w.profile ? ok(w.profile) : error(404, 'profile_required', '请先填写志愿者信息并同意《志愿者信息使用说明》。')))
  server.route('PUT', '/me/volunteer-profile', (req) => {
    const b = req.body
    if (!b.consent) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { consent: ['需要您同意信息使用说明。'] })
    if (!/^1\d{10}$/.test(b.phone)) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { phone: ['请输入 11 位手机号。'] })
    const created = !w.profile
    const last4 = 'id_number' in b ? (b.id_number ? b.id_number.slice(-4) : null) : (w.profile && w.profile.id_number_last4)
    w.profile = { user_id: 7, real_name: b.real_name, phone: b.phone, skills: b.skills, service_categories: b.service_categories, id_number_last4: last4, consented_at: iso(Date.now()), consent_version: '2026-01' }
    return ok(w.profile, created ? 201 : 200)
  })
  server.route('GET', '/volunteer-activities', (req) => {
    const rows = Object.values(w.activities).filter((a) => !req.query.team_id || a.team_id === Number(req.query.team_id))
    if (req.query.team_id) return ok({ items: rows, next_cursor: null, total: null })
    // one a page: the next page's cursor in next_cursor, null on the last
    return ok(req.query.cursor === 'p2' ? { items: rows.slice(1), next_cursor: null, total: null }
      : { items: rows.slice(0, 1), next_cursor: 'p2', total: null })
  })
  server.route('GET', /^\/volunteer-activities\/(\d+)$/, (req, m) => (activityOf(m) ? ok(activityOf(m)) : error(404, 'not_found', '找不到该志愿活动。')))
  server.route('POST', /^\/volunteer-activities\/(\d+)\/signup$/, (req, m) => server.idempotently(req, () => {
    const a = activityOf(m)
    if (a.signed < a.capacity) {
      a.signed += 1
      a.my_signup = 'signed'
      return signup(a, 'signed')
    }
    a.waiting += 1
    a.my_signup = 'waitlisted'
    return signup(a, 'waitlisted', a.waiting)
  }))
  server.route('POST', /^\/volunteer-activities\/(\d+)\/withdraw$/, (req, m) => {
    const a = activityOf(m)
    if (a.my_signup === 'waitlisted') a.waiting -= 1
    else a.signed -= 1
    a.my_signup = 'withdrawn'
    return signup(a, 'withdrawn')
  })
  server.route('POST', /^\/volunteer-activities\/(\d+)\/check-(in|out)$/, (req, m) => {
    const a = activityOf(m)
    if (req.body.code !== w.code) {
      return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { code: [WRONG_CODE_MESSAGE] })
    }
    const base = { activity_id: a.id, activity_title: a.title, team_name: a.team_name, place_name: a.place_name, user_id: 7, name: '陈晓', reason: '', decided_at: null, source: 'code' }
    let record = recordOf(a)
    if (m[2] === 'in') {
      record = Object.assign({ id: 10, check_in_at: iso(Date.now()), check_out_at: null, hours: 0, status: 'open', revision: 1 }, base)
      w.records.unshift(record)
    } else {
      Object.assign(record, { check_out_at: iso(Date.now() + 2 * HOUR), hours: 2, status: 'pending', revision: 2 })
    }
    return ok(record)
  })
  server.route('GET', '/me/service-records', () => ok({ items: w.records, next_cursor: null, total: null }))
  server.route('GET', '/me/volunteer-summary', () => ok(w.summary))
  server.route('GET', '/me/volunteer-record.html', () => ok(RECORD_HTML))
  return w
}

module.exports = { volunteerApi, HOUR, CODE, WRONG_CODE_MESSAGE, RECORD_HTML, iso, error, ok }
