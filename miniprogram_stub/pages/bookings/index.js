// 办事预约: the service items that can be booked, by department with a search box, and my
// bookings with their codes; why online booking is paused, if it is.
const api = require('../../utils/api')
const bookings = require('../../logic/bookings')
const tabbar = require('../../utils/tabbar')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    tab: 'items',
    items: [],
    search: '',
    groups: [], // the items by department, as the search leaves them
    status: { paused: false, text: '' },
    scope: 'upcoming',
    mine: [],
    cursor: null,
    done: false,
    loading: false,
  },
  methods: {
    onLoad(query) {
      if (query && query.tab === 'mine') this.setData({ tab: 'mine' })
      return this.refresh()
    },
    onShow() {
      this.setTitle('nav_services')
      tabbar.sync(this, 'services')
      return returning(this) ? this.refresh() : null // onLoad asked already
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onReachBottom() {
      return this.data.tab === 'mine' ? this.more() : null
    },
    onLangChange() {
      return this.refresh()
    },
    async refresh() {
      this.clearError()
      try {
        const [items, status] = await Promise.all([api.serviceItems(), api.bookingStatus()])
        const views = items.filter((i) => i.bookable_online !== false).map(bookings.itemView)
        this.setData({
          items: views,
          groups: bookings.groupItems(views, this.data.search),
          status: bookings.statusBanner(status),
        })
        this.setData({ mine: [], cursor: null, done: false })
        await this.more()
      } catch (err) {
        this.showError(err)
      }
    },
    async more() {
      if (this.data.loading || this.data.done) return
      this.setData({ loading: true })
      try {
        const answer = await api.myBookings({ scope: this.data.scope, cursor: this.data.cursor || undefined })
        this.setData({
          mine: this.data.mine.concat(answer.items.map(bookings.bookingView)),
          cursor: answer.next_cursor,
          done: !answer.next_cursor,
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    onSearch(e) {
      const search = e.detail.value
      this.setData({ search, groups: bookings.groupItems(this.data.items, search) })
    },
    clearSearch() {
      this.setData({ search: '', groups: bookings.groupItems(this.data.items, '') })
    },
    switchTab(e) {
      this.setData({ tab: e.currentTarget.dataset.tab })
    },
    switchScope(e) {
      const scope = e.currentTarget.dataset.scope
      if (scope === this.data.scope) return null
      this.setData({ scope, mine: [], cursor: null, done: false })
      return this.more()
    },
    openItem(e) {
      return wxp.quietly('navigateTo', { url: `/pages/bookings/item?id=${e.currentTarget.dataset.id}` })
    },
    openBooking(e) {
      return wxp.quietly('navigateTo', { url: `/pages/bookings/detail?id=${e.currentTarget.dataset.id}` })
    },
  },
})
