// 志愿服务记录证明: the printable record of service (approved hours only, marked as this
// platform's record). The API serves it as HTML behind the Bearer token, which a web-view
// cannot send, so it is fetched with the token and shown here with <rich-text>.
const api = require('../../utils/api')
const volunteers = require('../../logic/volunteers')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    html: '',
    loading: true,
  },
  methods: {
    onLoad() {
      this.setTitle('nav_vol_certificate')
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_vol_certificate')
    },
    async load() {
      this.clearError()
      try {
        this.setData({ html: volunteers.recordHtml(await api.volunteerRecordHtml()) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
  },
})
