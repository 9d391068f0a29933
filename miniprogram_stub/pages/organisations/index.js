// 社会组织与服务 (confirmed residents of the community): the organisations serving it (its
// own and its street's), which organisation runs which service (contracted, in progress,
// published projects), and the micro-funds of this year's community fund.
const api = require('../../utils/api')
const orgs = require('../../logic/organisations')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('../participation/refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_org_index', communityId: null, organisations: [], projects: [], microFunds: [], loading: true },
  methods: {
    onLoad(query) {
      this.setData({ communityId: Number(query && query.community) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      const id = this.data.communityId
      try {
        const [list, projects, funds] = await Promise.all([
          api.communityOrganisations(id), api.communityServiceProjects(id), api.communityFunds(id),
        ])
        const microFunds = funds.length ? await api.microFunds(funds[0].id) : []
        this.setData({
          organisations: list.map(orgs.organisationView),
          projects: projects.map(orgs.projectView),
          microFunds: microFunds.map(orgs.microFundView),
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    openOrganisation(e) {
      return wxp.quietly('navigateTo', { url: `/pages/organisations/detail?id=${e.currentTarget.dataset.id}` })
    },
    openMicroFund(e) {
      return wxp.quietly('navigateTo', { url: `/pages/organisations/microfund?id=${e.currentTarget.dataset.id}` })
    },
  },
})
