// 居民参与: my home and its status (confirmed: a voice in the community), the community's
// notices with unread marks, and the ways to its proposals, its council and its fund.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const yards = require('../../logic/yards')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_participation', loading: true, homes: [], main: null, notices: [], area: '', areas: [] },
  methods: {
    onLoad() {
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        const [homes, board] = await Promise.all([api.myResidencies(), api.myNotices(this.data.area)])
        const main = participation.mainResidency(homes)
        this.setData({
          areas: yards.areaTabs(this.data.area),
          homes: homes.map(participation.residencyView),
          main: main ? participation.residencyView(main) : null,
          notices: board.items.map((n) => participation.noticeView(n)),
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    // 三公开: the board of one area (居务 / 财务 / 党务), or all of them
    async chooseArea(e) {
      const area = e.currentTarget.dataset.area || ''
      this.setData({ area, areas: yards.areaTabs(area) })
      try {
        const board = await api.myNotices(area)
        this.setData({ notices: board.items.map((n) => participation.noticeView(n)) })
      } catch (err) {
        this.showError(err)
      }
    },
    go(e) {
      return wxp.quietly('navigateTo', { url: e.currentTarget.dataset.url })
    },
  },
})
