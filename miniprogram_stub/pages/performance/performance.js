// 社区三率: every community's 及时响应率, 按时办结率, 满意率 and overdue count for the last 30 or
// 90 days, public (no login: GET /public/communities/performance). A rate with nothing to
// count shows "—", never 100%.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const { page } = require('../../utils/behaviors')

const RATES = [
  ['response_rate', 'perf_response'],
  ['resolution_rate', 'perf_resolution'],
  ['satisfaction_rate', 'perf_satisfaction'],
]

function percent(figure) {
  if (!figure || figure.rate === null || figure.rate === undefined) return '—'
  return `${(figure.rate * 100).toFixed(1)}%`
}

function row(c) {
  return {
    id: c.place_id,
    name: c.name,
    street: c.street_name || '',
    rates: RATES.map(([field, key]) => ({
      key: field,
      label: i18n.t(key),
      value: percent(c[field]),
      counts: `${c[field].numerator}/${c[field].denominator}`,
    })),
    overdue: c.overdue.total,
  }
}

Component({
  behaviors: [page],
  data: {
    days: 30,
    choices: [],
    period: '',
    rows: [],
    loading: true,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_performance')
      this.setChoices()
      const days = Number((query && query.days) || 30)
      return this.load(days === 90 ? 90 : 30)
    },
    setChoices() {
      this.setData({ choices: [30, 90].map((days) => ({ days, label: i18n.t('perf_days', { days }) })) })
    },
    onLangChange() {
      this.setTitle('nav_performance')
      this.setChoices()
      if (this._body) this.show(this._body)
    },
    async load(days) {
      this.setData({ days, loading: true })
      this.clearError()
      try {
        this.show(await api.communityPerformance(days))
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    show(body) {
      this._body = body
      this.setData({
        period: i18n.t('perf_period', { from: body.period.from, to: body.period.to }),
        rows: body.communities.map(row),
      })
    },
    switchDays(e) {
      const days = Number(e.currentTarget.dataset.days)
      if (days === this.data.days) return null
      return this.load(days)
    },
  },
})
