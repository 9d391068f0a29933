// 我的服务记录: cumulative approved hours and the star level, each record (activity, date,
// times, hours, approved or not and why), and the printable record of service.
const api = require('../../utils/api')
const volunteers = require('../../logic/volunteers')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    summary: null,
    records: [],
    loading: true,
  },
  methods: {
    onLoad() {
      this.setTitle('nav_vol_records')
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onLangChange() {
      this.setTitle('nav_vol_records')
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [summary, records] = await Promise.all([api.volunteerSummary(), api.myServiceRecords()])
        this.setData({ summary: volunteers.summaryView(summary), records: records.map(volunteers.recordView) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    openActivity(e) {
      return wxp.quietly('navigateTo', { url: `/pages/volunteers/activity?id=${e.currentTarget.dataset.id}` })
    },
    openCertificate() {
      return wxp.quietly('navigateTo', { url: '/pages/volunteers/certificate' })
    },
  },
})
