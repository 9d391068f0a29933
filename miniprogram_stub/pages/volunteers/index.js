// 志愿服务: my approved hours and star level, the activities and teams of the community,
// the teams I belong to; the way to my profile and my service records.
const api = require('../../utils/api')
const volunteers = require('../../logic/volunteers')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')

const LISTS = {
  activities: { load: (cursor) => api.volunteerActivities({ cursor }), view: (a) => volunteers.activityView(a) },
  teams: { load: (cursor) => api.volunteerTeams({ cursor }), view: volunteers.teamView },
}

Component({
  behaviors: [page],
  data: {
    tab: 'activities',
    summary: null,
    rows: [],
    mine: [],
    cursor: null,
    done: false,
    loading: false,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_volunteers')
      if (query && LISTS[query.tab]) this.setData({ tab: query.tab })
      return this.refresh()
    },
    onShow() {
      return returning(this) ? this.refresh() : null // back from a team or an activity
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onReachBottom() {
      return this.more()
    },
    onLangChange() {
      this.setTitle('nav_volunteers')
      return this.refresh()
    },
    async refresh() {
      this.clearError()
      try {
        const [summary, mine] = await Promise.all([api.volunteerSummary(), api.myVolunteerTeams()])
        this.setData({
          summary: volunteers.summaryView(summary),
          mine: mine.filter((m) => m.status === 'active' || m.status === 'pending').map(volunteers.membershipView),
          rows: [],
          cursor: null,
          done: false,
        })
        await this.more()
      } catch (err) {
        this.showError(err)
      }
    },
    // The next page of the list on the tab (activities or teams), following next_cursor.
    async more() {
      const list = LISTS[this.data.tab]
      if (!list || this.data.loading || this.data.done) return
      this.setData({ loading: true })
      try {
        const answer = await list.load(this.data.cursor || undefined)
        this.setData({
          rows: this.data.rows.concat(answer.items.map(list.view)),
          cursor: answer.next_cursor,
          done: !answer.next_cursor,
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    switchTab(e) {
      const tab = e.currentTarget.dataset.tab
      if (tab === this.data.tab) return null
      this.setData({ tab, rows: [], cursor: null, done: false })
      return this.more()
    },
    go(e) {
      return wxp.quietly('navigateTo', { url: e.currentTarget.dataset.url })
    },
  },
})
