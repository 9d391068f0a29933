// 社区基金 (confirmed residents of the community): this year's amount, what is allocated
// and left, the negative list, the budget lines; the ledger with its running balance; the
// vote rounds.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_fund', communityId: null, fund: null, ledger: null, rounds: [], loading: true },
  methods: {
    onLoad(query) {
      this.setData({ communityId: Number(query && query.community) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        const funds = await api.communityFunds(this.data.communityId)
        const fund = funds[0] // newest year first
        if (fund) {
          const [ledger, rounds] = await Promise.all([api.fundLedger(fund.id), api.voteRounds(fund.id)])
          this.setData({
            fund: participation.fundView(fund),
            ledger: participation.ledgerView(ledger),
            rounds: rounds.map((r) => participation.roundView(r)),
          })
        }
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    openRound(e) {
      return wxp.quietly('navigateTo', { url: `/pages/participation/vote?id=${e.currentTarget.dataset.id}` })
    },
    openProject(e) {
      return wxp.quietly('navigateTo', { url: `/pages/participation/project?id=${e.currentTarget.dataset.id}` })
    },
  },
})
