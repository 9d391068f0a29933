// 一次会议 (read-only): a council meeting or a yard meeting (坝坝会), its minutes, and each
// agenda item with its decision: for / against / abstain, passed or not, and at a yard
// meeting who recorded and who witnessed the count.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_meeting', id: null, meeting: null, loading: true },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        this.setData({ meeting: participation.meetingView(await api.meeting(this.data.id)) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
  },
})
