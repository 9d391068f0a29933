// A micro-fund (微基金) of the community fund: its purpose, donations, expenses and balance,
// and its ledger line by line with the running balance (confirmed residents and staff).
const api = require('../../utils/api')
const orgs = require('../../logic/organisations')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('../participation/refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_org_microfund', id: null, fund: null, loading: true },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        this.setData({ fund: orgs.microFundView(await api.microFund(this.data.id)) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
  },
})
