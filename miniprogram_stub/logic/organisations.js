// 社会组织 (issue 21) as the organisation pages show them: an organisation with its type and
// rating, the service projects it runs (status, contract sum, period, milestones), and a
// micro-fund's ledger with its running balance. Plain functions, no wx.
const i18n = require('../utils/i18n')
const { money } = require('./participation')

function organisationView(o) {
  return {
    id: o.id,
    name: o.name,
    kindText: i18n.t(`org_kind_${o.kind}`),
    rating: o.rating === 'none' ? '' : o.rating,
    place: o.place_name || '',
    contact: [o.contact_name, o.contact_phone].filter(Boolean).join(' '),
    services: o.services || '',
    creditCode: o.credit_code || '',
  }
}

function period(p) {
  return p.period_start ? `${p.period_start} – ${p.period_end}` : ''
}

function projectView(p) {
  return {
    id: p.id,
    title: p.title,
    summary: p.summary || '',
    organisationId: p.organisation_id,
    organisation: p.organisation_name,
    rating: p.organisation_rating === 'none' ? '' : p.organisation_rating,
    buyer: p.buyer_name,
    status: p.status,
    statusText: i18n.t(`org_status_${p.status}`),
    amount: money(p.contract_sum),
    period: period(p),
    milestones: (p.milestones || []).map((m) => ({
      id: m.id, title: m.title, due: m.due_on, done: Boolean(m.done_at), evidence: m.evidence || '',
    })),
  }
}

function microFundView(m) {
  return {
    id: m.id,
    name: m.name,
    purpose: m.purpose || '',
    balance: money(m.balance),
    donations: money(m.donations),
    expenses: money(m.expenses),
    active: Boolean(m.is_active),
    lines: (m.lines || []).map((l) => ({
      id: l.id,
      date: l.on_date,
      kind: l.kind,
      kindText: i18n.t(`org_line_${l.kind}`),
      party: l.party,
      note: l.note || '',
      amount: money(l.kind === 'expense' ? `-${l.amount}` : l.amount),
      balance: money(l.balance),
    })),
  }
}

module.exports = { organisationView, projectView, microFundView }
