// 议事会 (read-only, for residents): the members of the council and of the supervisory
// committee with their terms, and the community's meetings, latest first.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_council', communityId: null, groups: [], meetings: [], loading: true },
  methods: {
    onLoad(query) {
      this.setData({ communityId: Number(query && query.community) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        const id = this.data.communityId
        const [members, meetings] = await Promise.all([api.councilMembers(id), api.meetings(id)])
        this.setData({
          groups: participation.councilView(members),
          meetings: meetings.items.map((m) => participation.meetingView(m)),
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    openMeeting(e) {
      return wxp.quietly('navigateTo', { url: `/pages/participation/meeting?id=${e.currentTarget.dataset.id}` })
    },
  },
})
