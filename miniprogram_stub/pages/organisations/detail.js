// One social organisation: type, rating, registration, contact, what it offers, and the
// service projects it runs for my community (status, contract sum, period, milestones).
const api = require('../../utils/api')
const orgs = require('../../logic/organisations')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('../participation/refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_org_detail', id: null, organisation: null, projects: [], loading: true },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        const o = await api.organisation(this.data.id)
        this.setData({ organisation: orgs.organisationView(o), projects: (o.projects || []).map(orgs.projectView) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
  },
})
