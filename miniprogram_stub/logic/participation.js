// 居民参与 (issue 11) as the participation pages show it: my home and its status, community
// notices and the 公示 objection window, proposals and their supports, the fund and its
// ledger, a vote round's ballot (pick-N or within the budget). Plain functions, no wx.
const format = require('../utils/format')
const i18n = require('../utils/i18n')

const PHONE = /^1\d{10}$/

const ms = (iso) => {
  const v = Date.parse(iso)
  return Number.isNaN(v) ? null : v
}

// Money comes as 元 strings with 2 decimals ("12000.50"); sums are done in fen.
function fen(yuan) {
  if (yuan === null || yuan === undefined || yuan === '') return null
  const v = Number(yuan)
  return Number.isNaN(v) ? null : Math.round(v * 100)
}

function money(yuan) {
  const f = fen(yuan)
  if (f === null) return ''
  const sign = f < 0 ? '-' : ''
  return `${sign}¥${(Math.abs(f) / 100).toFixed(2)}`
}

// --- residency ---------------------------------------------------------------------------

function address(r) {
  return [r.building, r.unit, r.room].filter(Boolean).join(' ')
}

function residencyView(r) {
  return {
    id: r.id,
    communityId: r.community_id,
    community: r.community_name || '',
    address: address(r),
    status: r.status,
    statusText: i18n.t(`pt_residency_${r.status}`),
    reason: r.reason || '',
    hasVoice: Boolean(r.has_voice),
  }
}

// The home the pages work with: a confirmed one first, otherwise one waiting; none ended or
// rejected unless that is all there is.
function mainResidency(residencies) {
  const rank = { confirmed: 0, pending: 1, rejected: 2, ended: 3 }
  const sorted = (residencies || []).slice().sort((a, b) => rank[a.status] - rank[b.status])
  return sorted[0] || null
}

function emptyResidencyForm() {
  return { communityIndex: -1, yardIndex: -1, building: '', unit: '', room: '', name: '', phone: '' }
}

// Field errors (message keys) of the declaration form, before it is sent.
function validateResidency(form) {
  const errors = {}
  if (form.communityIndex < 0) errors.community_id = 'pt_community_required'
  if (!String(form.room || '').trim()) errors.room = 'pt_room_required'
  if (!PHONE.test(String(form.phone || '').trim())) errors.phone = 'pt_phone_invalid'
  return errors
}

function residencyBody(form, community, yard) {
  const body = { community_id: community.id, room: form.room.trim(), phone: form.phone.trim() }
  if (yard) body.yard_id = yard.id
  ;['building', 'unit', 'name'].forEach((k) => {
    if (String(form[k] || '').trim()) body[k] = form[k].trim()
  })
  return body
}

// The form checks give message keys per field; the pages show them in the chosen language.
function translated(invalid) {
  const out = {}
  Object.keys(invalid).forEach((k) => { out[k] = i18n.t(invalid[k]) })
  return out
}

// --- notices -----------------------------------------------------------------------------

// The objection window of a 公示: from its publication up to, not including, its end.
function objectionWindowOpen(n, now = Date.now()) {
  if (n.kind !== 'disclosure') return false
  const from = ms(n.publish_from)
  const until = ms(n.publish_until)
  return from !== null && now >= from && (until === null || now < until)
}

function noticeView(n, now = Date.now()) {
  const disclosure = n.kind === 'disclosure'
  return {
    id: n.id,
    communityId: n.community_id,
    community: n.community_name || '',
    title: n.title,
    body: n.body || '',
    // English pages, a notice staff wrote only in Chinese: say so
    chineseOnly: i18n.getLang() === 'en' && n.language === 'zh',
    kindText: i18n.t(disclosure ? 'pt_kind_disclosure' : 'pt_kind_notice'),
    // 三公开: 居务 / 财务 / 党务
    areaText: n.area ? i18n.t(`pt_area_${n.area}`) : '',
    disclosure,
    pinned: Boolean(n.pinned),
    read: Boolean(n.read),
    readText: i18n.t('pt_read_count', { n: n.read_count || 0 }),
    published: format.time(n.publish_from, now),
    windowText: disclosure ? i18n.t(n.publish_until ? 'pt_window' : 'pt_window_open_ended', {
      from: format.time(n.publish_from, now), until: format.time(n.publish_until, now),
    }) : '',
    windowOpen: objectionWindowOpen(n, now),
  }
}

function objectionView(o) {
  return {
    id: o.id,
    body: o.body,
    created: format.time(o.created_at),
    answer: o.answer || '',
    answered: Boolean(o.answered_at),
  }
}

// --- proposals ---------------------------------------------------------------------------

function proposalView(p) {
  const open = p.state === 'open'
  return {
    id: p.id,
    communityId: p.community_id,
    title: p.title,
    problem: p.problem || '',
    action: p.action || '',
    place: p.place_name || '',
    cost: money(p.estimated_cost),
    state: p.state,
    stateText: i18n.t(`pt_proposal_${p.state}`),
    supportText: i18n.t('pt_supports', { n: p.support_count, max: p.support_threshold }),
    supported: Boolean(p.supported),
    mine: Boolean(p.mine),
    held: p.content_status === 'review',
    canSupport: open && !p.mine && !p.supported,
    answer: p.answer_reason || '',
    photos: format.photoUrls(p.photos),
    created: format.time(p.created_at),
    events: (p.events || []).map((e) => ({
      when: format.time(e.created_at),
      text: i18n.t(`pt_proposal_${e.to_state}`),
      note: e.note || '',
    })),
  }
}

function emptyProposalForm() {
  return { title: '', problem: '', action: '', cost: '', photos: [] }
}

function validateProposal(form) {
  const errors = {}
  ;['title', 'problem', 'action'].forEach((k) => {
    if (!String(form[k] || '').trim()) errors[k] = 'pt_required'
  })
  const cost = String(form.cost || '').trim()
  if (cost && !/^\d+(\.\d{1,2})?$/.test(cost)) errors.estimated_cost = 'pt_cost_invalid'
  return errors
}

function proposalBody(form, communityId, photoIds) {
  const body = {
    community_id: communityId,
    title: form.title.trim(),
    problem: form.problem.trim(),
    action: form.action.trim(),
    photo_ids: photoIds,
  }
  const cost = String(form.cost || '').trim()
  if (cost) body.estimated_cost = cost
  return body
}

// --- the fund and its ledger -------------------------------------------------------------

function fundView(f) {
  return {
    id: f.id,
    year: f.year,
    amount: money(f.amount),
    allocated: money(f.allocated),
    remaining: money(f.remaining),
    negativeList: (f.negative_list || []).join('、'),
    lines: (f.budget_lines || []).map((l) => ({ id: l.id, title: l.title, amount: money(l.amount) })),
  }
}

// Each entry with its running balance; `balanced`: the balances follow from the amounts.
function ledgerView(ledger) {
  let running = 0
  let balanced = true
  const rows = (ledger.entries || []).map((e) => {
    running += fen(e.amount)
    if (running !== fen(e.balance)) balanced = false
    return {
      key: `${e.kind}-${e.id}`,
      kind: e.kind,
      date: e.date,
      title: e.title,
      amount: money(e.amount),
      balance: money(e.balance),
    }
  })
  return {
    income: money(ledger.income),
    expense: money(ledger.expense),
    balance: money(ledger.balance),
    rows,
    balanced: balanced && running === fen(ledger.balance || 0),
  }
}

// --- vote rounds -------------------------------------------------------------------------

function ruleText(round) {
  return round.method === 'pick_n'
    ? i18n.t('pt_rule_pick_n', { n: round.pick_n })
    : i18n.t('pt_rule_budget', { budget: money(round.budget) })
}

function roundView(round, chosen = [], now = Date.now()) {
  const voted = Array.isArray(round.my_choices)
  const mine = voted ? round.my_choices : chosen
  const total = round.options.filter((o) => mine.indexOf(o.id) >= 0).reduce((s, o) => s + fen(o.cost), 0)
  const published = round.status === 'published'
  return {
    id: round.id,
    title: round.title,
    rule: ruleText(round),
    window: `${format.time(round.opens_at, now)} – ${format.time(round.closes_at, now)}`,
    isOpen: Boolean(round.is_open),
    voted,
    published,
    statusText: i18n.t(published ? 'pt_round_published' : (round.is_open ? 'pt_round_open' : 'pt_round_closed')),
    chosenText: round.method === 'pick_n'
      ? i18n.t('pt_chosen_n', { n: mine.length, max: round.pick_n })
      : i18n.t('pt_chosen_budget', { sum: money(total / 100), budget: money(round.budget) }),
    options: round.options.map((o) => ({
      id: o.id,
      title: o.title,
      cost: money(o.cost),
      chosen: mine.indexOf(o.id) >= 0,
      votes: published && o.votes !== null && o.votes !== undefined ? i18n.t('pt_votes', { n: o.votes }) : '',
      won: Boolean(o.won),
    })),
  }
}

// Tap on an option: the new choice, or {error} when it would break the round's rule.
function toggleChoice(round, chosen, optionId) {
  if (chosen.indexOf(optionId) >= 0) return { chosen: chosen.filter((id) => id !== optionId) }
  const next = chosen.concat([optionId])
  if (round.method === 'pick_n' && next.length > round.pick_n) {
    return { chosen, error: i18n.t('pt_too_many', { n: round.pick_n }) }
  }
  if (round.method === 'budget') {
    const sum = round.options.filter((o) => next.indexOf(o.id) >= 0).reduce((s, o) => s + fen(o.cost), 0)
    if (sum > fen(round.budget)) return { chosen, error: i18n.t('pt_over_budget', { budget: money(round.budget) }) }
  }
  return { chosen: next }
}

// Why I have no vote in the community (a message), or '' when I have one.
// A null community (a round the API hides from me): judged on all my homes.
function voteBlock(residencies, communityId) {
  const here = (residencies || []).filter((r) => communityId === null || r.community_id === communityId)
  if (here.some((r) => r.status === 'confirmed')) return ''
  const r = mainResidency(here)
  if (!r) return i18n.t('pt_no_voice_none')
  return i18n.t(`pt_no_voice_${r.status}`, { reason: r.reason || '' })
}

// --- the council (议事会) and its meetings -------------------------------------------------

function memberView(m) {
  return {
    id: m.id,
    name: m.name,
    body: m.body,
    roleText: i18n.t(`pt_role_${m.role}`),
    term: i18n.t('pt_term', { from: m.term_start, to: m.term_end }),
  }
}

// The members in two groups, 议事会 then 监督委员会 (a group without members left out).
function councilView(members) {
  return ['council', 'supervisory'].map((body) => ({
    body,
    title: i18n.t(`pt_body_${body}`),
    members: (members || []).filter((m) => m.body === body).map(memberView),
  })).filter((g) => g.members.length)
}

function decisionView(item) {
  const decided = Boolean(item.result)
  return {
    id: item.id,
    title: item.title,
    decided,
    passed: item.result === 'passed',
    resultText: i18n.t(decided ? `pt_result_${item.result}` : 'pt_result_none'),
    votes: decided ? i18n.t('pt_decision_votes', {
      yes: item.votes_for, no: item.votes_against, abstain: item.votes_abstain,
    }) : '',
    recorder: item.recorder_name || '',
    witness: item.witness_name || '',
  }
}

function meetingView(m) {
  const items = (m.items || []).map(decisionView)
  return {
    id: m.id,
    title: m.title,
    kind: m.kind,
    kindText: i18n.t(`pt_meeting_${m.kind}`),
    held: format.time(m.held_at),
    place: m.place_name || '',
    attendees: m.attendee_count ? i18n.t('pt_attendees', { n: m.attendee_count }) : '',
    minutes: m.minutes || '',
    summary: i18n.t('pt_meeting_summary', { n: items.length, passed: items.filter((i) => i.passed).length }),
    items,
  }
}

// --- a funded project ---------------------------------------------------------------------

function projectView(p) {
  return {
    id: p.id,
    title: p.title,
    amount: money(p.amount),
    spent: money(p.spent),
    statusText: i18n.t(`pt_project_${p.status}`),
    progress: (p.progress || []).map((e) => ({ id: e.id, date: e.on_date, note: e.note })),
    expenses: (p.expenses || []).map((e) => ({
      id: e.id,
      date: e.spent_on,
      amount: money(e.amount),
      payee: e.payee,
      description: e.description,
      receipts: format.photoUrls(e.receipts),
    })),
    acceptances: (p.acceptances || []).map((a) => ({
      id: a.id,
      passed: a.verdict === 'passed',
      verdictText: i18n.t(`pt_accept_${a.verdict}`),
      note: a.note || '',
      signed: i18n.t('pt_signed_by', { names: (a.member_names || []).join('、') }),
      when: format.time(a.created_at),
    })),
  }
}

module.exports = {
  fen, money, translated, residencyView, mainResidency, emptyResidencyForm, validateResidency, residencyBody,
  objectionWindowOpen, noticeView, objectionView, proposalView, emptyProposalForm,
  validateProposal, proposalBody, fundView, ledgerView, roundView, toggleChoice, voteBlock,
  councilView, meetingView, projectView,
}
