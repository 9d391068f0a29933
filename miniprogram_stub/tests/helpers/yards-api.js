// The yard self-government endpoints of the fake API (院落自治): my yard with its committee
// and conventions, a convention's history, signing once per household, the yard's meetings;
// and a 党务 notice on the board; the community's 居民公约 (GET /me/conventions) once a test
// adds it with withResidentsConvention, and a home that names no yard (y.noYard). Used by
// tests/yards.test.js.
const iso = (ms) => new Date(ms).toISOString()
const ok = (body, status = 200) => ({ status, body })
const error = (status, code, message) => ({ status, body: { error: { code, message, fields: {} } } })

function yardsApi(server, w) {
  const now = Date.now()
  const y = {
    // households that signed, per version; 'mine' is the household of the person using the app
    signatures: { 202: ['4|1|102'] },
    yard: { id: 31, code: '00301', name: '晋阳小区', community_id: 3, community_name: '晋阳社区', households: 12, can_manage: false,
      committee: [
        { id: 1, yard_id: 31, user_id: 9, name: '老周', role: 'head', term_start: '2025-01-01', term_end: '2027-12-31', in_office: true },
        { id: 2, yard_id: 31, user_id: null, name: '张楼长', role: 'building_head', term_start: '2026-01-01', term_end: '2028-12-31', in_office: true },
      ] },
    conventions: {
      21: { id: 21, community_id: 3, yard_id: 31, scope: 'yard', title: '晋阳院落公约', versions: [
        { id: 202, convention_id: 21, number: 2, body: '一、爱护院落环境。\n二、垃圾分类投放。', note: '增加垃圾分类', published_at: iso(now - 86400000), published_by_name: '老周', in_force: true },
        { id: 201, convention_id: 21, number: 1, body: '一、爱护院落环境。', note: '首次制定', published_at: iso(now - 40 * 86400000), published_by_name: '老周', in_force: false },
      ] },
    },
    meetings: [{ id: 33, community_id: 3, yard_id: 31, kind: 'yard', title: '院落会议：停车位划线', held_at: iso(now - 3 * 86400000), place_name: '3栋院坝', attendee_count: 9, minutes: '', items: [] }],
  }
  w.notices[64] = { id: 64, community_id: 3, community_name: '晋阳社区', kind: 'disclosure', area: 'party', title: '党费收缴情况公示', body: '第三季度党费收缴情况。', publish_from: iso(now - 3600000), publish_until: null, pinned: false, withdrawn_at: null, is_current: true, read_count: 0 }
  const confirmed = () => w.residencies.some((r) => r.status === 'confirmed')
  const conventionOut = (c) => {
    const counts = c.versions.map((v) => Object.assign({}, v, { signature_count: (y.signatures[v.id] || []).length }))
    const current = counts[0]
    const signed = y.signatures[current.id] || []
    return { id: c.id, community_id: c.community_id, yard_id: c.yard_id, scope: c.scope, title: c.title, current,
      households: c.scope === 'community' ? 30 : y.yard.households, signed: signed.length, my_household_signed: signed.indexOf('mine') >= 0,
      can_sign: confirmed(), can_manage: false, versions: counts }
  }
  server.route('GET', '/me/conventions', () => ok(confirmed() ? Object.values(y.conventions)
    .filter((c) => c.scope === 'community')
    .map((c) => { const out = conventionOut(c); delete out.versions; return Object.assign(out, { community_name: '晋阳社区' }) }) : []))
  server.route('GET', '/me/yards', () => ok(confirmed() && !y.noYard ? [Object.assign({}, y.yard, {
    conventions: Object.values(y.conventions).map((c) => { const out = conventionOut(c); delete out.versions; return out }),
  })] : []))
  server.route('GET', /^\/yards\/(\d+)\/meetings$/, () => ok({ items: y.meetings, next_cursor: null, total: y.meetings.length }))
  server.route('GET', /^\/conventions\/(\d+)$/, (req, m) => ok(conventionOut(y.conventions[m[1]])))
  server.route('POST', /^\/convention-versions\/(\d+)\/sign$/, (req, m) => {
    const id = Number(m[1])
    const c = Object.values(y.conventions).find((x) => x.versions.some((v) => v.id === id))
    if (!confirmed()) return error(403, 'forbidden', '只有本院落（社区）已确认的居民可以签署公约。')
    if (c.versions[0].id !== id) return error(409, 'conflict', '该版本已被新版本取代，请签署现行版本。')
    const list = y.signatures[id] = y.signatures[id] || []
    const fresh = list.indexOf('mine') < 0
    if (fresh) list.push('mine')
    return ok({ signature: { id: 1, version_id: id, household_key: 'mine', signer_name: '王阿姨', signed_at: iso(Date.now()) }, new: fresh })
  })
  return y
}

// the community's 居民公约 (no yard), version 1 in force, signed by nobody yet
function withResidentsConvention(y) {
  y.conventions[22] = { id: 22, community_id: 3, yard_id: null, scope: 'community', title: '晋阳社区居民公约', versions: [
    { id: 221, convention_id: 22, number: 1, body: '一、邻里和睦，守望相助。', note: '首次制定', published_at: new Date(Date.now() - 2 * 86400000).toISOString(), published_by_name: '社区居委会', in_force: true },
  ] }
  return y.conventions[22]
}

module.exports = { yardsApi, withResidentsConvention }
