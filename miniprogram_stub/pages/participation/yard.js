// 我的院落: my yard's committee in office (院落长, 楼栋长 …), its 院落公约 and the community's
// 居民公约 with the version in force, how many households signed it and a button to sign it
// for my household — the 居民公约 also when my home names no yard (once per household: a second tap or a family member's is told kindly),
// the history of versions, and the yard's meetings.
const api = require('../../utils/api')
const yards = require('../../logic/yards')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const i18n = require('../../utils/i18n')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_yard', loading: true, yards: [], communityConventions: [], meetings: [], history: null, signing: false },
  methods: {
    onLoad() {
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        const [mine, community] = await Promise.all([api.myYards(), api.myConventions()])
        const meetings = mine.length ? (await api.yardMeetings(mine[0].id)).items : []
        this.setData({
          yards: mine.map(yards.yardView),
          communityConventions: community.map(yards.communityConventionView),
          meetings: meetings.map((m) => participation.meetingView(m)),
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    async sign(e) {
      if (this.data.signing) return
      this.setData({ signing: true })
      try {
        const answer = await api.signConvention(e.currentTarget.dataset.version)
        await wxp.quietly('showToast', { title: i18n.t(answer.new ? 'pt_sign_done' : 'pt_sign_already'), icon: 'none' })
        await this.refresh()
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ signing: false })
      }
    },
    async showHistory(e) {
      try {
        const c = await api.convention(e.currentTarget.dataset.id)
        this.setData({ history: yards.conventionView(c) })
      } catch (err) {
        this.showError(err)
      }
    },
    hideHistory() {
      this.setData({ history: null })
    },
    openMeeting(e) {
      return wxp.quietly('navigateTo', { url: `/pages/participation/meeting?id=${e.currentTarget.dataset.id}` })
    },
  },
})
