// 志愿服务队: what the team does, its join policy and members; join (open teams at once,
// others wait for a leader), leave or withdraw the request; the team's activities.
// Joining needs a volunteer profile with consent: without one, the profile page comes first.
const api = require('../../utils/api')
const volunteers = require('../../logic/volunteers')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')
const { act, confirm } = require('./act')

Component({
  behaviors: [page],
  data: {
    id: null,
    team: null,
    activities: [],
    hasProfile: true,
    loading: true,
    busy: false,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_vol_team')
      this.setData({ id: Number(query && query.id) })
      return this.load()
    },
    onShow() {
      return returning(this) ? this.load() : null // back from the profile page
    },
    onLangChange() {
      this.setTitle('nav_vol_team')
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [team, profile, activities] = await Promise.all([
          api.volunteerTeam(this.data.id), api.volunteerProfile(),
          api.volunteerActivities({ teamId: this.data.id }),
        ])
        this.setData({
          team: volunteers.teamView(team),
          hasProfile: Boolean(profile),
          activities: activities.items.map((a) => volunteers.activityView(a)),
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    join() {
      if (this.data.busy) return null
      if (!this.data.hasProfile) {
        this.toast('vol_profile_first')
        return wxp.quietly('navigateTo', { url: '/pages/volunteers/profile' })
      }
      return act(this, () => api.joinTeam(this.data.id), (membership) => {
        this.toast(membership.status === 'pending' ? 'vol_join_pending' : 'vol_joined')
        return this.load()
      }, (err) => {
        if (err.code === 'profile_required') this.setData({ hasProfile: false })
      })
    },
    async leave() {
      if (this.data.busy) return null
      const pending = this.data.team.myStatus === 'pending'
      if (!(await confirm(pending ? 'vol_leave_pending' : 'vol_leave', 'vol_leave_confirm'))) return null
      return act(this, () => api.leaveTeam(this.data.id), () => {
        this.toast('vol_left')
        return this.load()
      })
    },
    openActivity(e) {
      return wxp.quietly('navigateTo', { url: `/pages/volunteers/activity?id=${e.currentTarget.dataset.id}` })
    },
  },
})
