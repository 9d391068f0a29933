// 院落自治 for the mini-program: my yard's committee in office, its conventions (院落公约 and
// the community's 居民公约, also for a resident whose home names no yard) with the version in force, how many households signed it and
// whether mine did, the history of versions; and the 三公开 areas of the notice board.
const i18n = require('../utils/i18n')
const format = require('../utils/format')

const ROLES = ['head', 'deputy', 'member', 'building_head']
// the notice board's tabs: all, then 居务 / 财务 / 党务
const AREAS = ['affairs', 'finance', 'party']

function areaTabs(selected) {
  return [''].concat(AREAS).map((area) => ({
    area,
    text: i18n.t(area ? `pt_area_${area}` : 'pt_area_all'),
    selected: (selected || '') === area,
  }))
}

function memberView(m) {
  return {
    id: m.id,
    name: m.name,
    roleText: i18n.t(`pt_yard_role_${m.role}`),
    term: i18n.t('pt_term', { from: m.term_start, to: m.term_end }),
  }
}

function versionView(v) {
  return {
    id: v.id,
    number: v.number,
    title: i18n.t('pt_version', { n: v.number }),
    body: v.body,
    note: v.note || '',
    published: format.time(v.published_at),
    inForce: Boolean(v.in_force),
    signatures: i18n.t('pt_version_signed', { n: v.signature_count || 0 }),
  }
}

function conventionView(c) {
  const current = c.current ? versionView(c.current) : null
  return {
    id: c.id,
    title: c.title,
    scopeText: i18n.t(`pt_scope_${c.scope}`),
    current,
    coverage: i18n.t('pt_coverage', { signed: c.signed || 0, total: c.households || 0 }),
    signed: Boolean(c.my_household_signed),
    canSign: Boolean(c.can_sign) && Boolean(current) && !c.my_household_signed,
    history: (c.versions || []).map(versionView),
  }
}

function yardView(y) {
  return {
    id: y.id,
    name: y.name,
    community: y.community_name || '',
    households: i18n.t('pt_households', { n: y.households || 0 }),
    committee: (y.committee || []).map(memberView),
    // the yard's 院落公约; the community's 居民公约 is shown once, apart (communityView)
    conventions: (y.conventions || []).filter((c) => c.scope === 'yard').map(conventionView),
  }
}

// a 居民公约 of one of my communities (GET /me/conventions), named with its community
function communityConventionView(c) {
  return Object.assign(conventionView(c), { community: c.community_name || '' })
}

module.exports = { ROLES, AREAS, areaTabs, memberView, versionView, conventionView, communityConventionView, yardView }
