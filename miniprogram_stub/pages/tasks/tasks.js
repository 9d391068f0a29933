// 我的任务 (grid workers): the open tasks of my cells, nearest first when the phone gives a
// position (wx.getLocation, GCJ-02), otherwise overdue first; overdue ones in red.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const location = require('../../utils/location')
const subscribe = require('../../utils/subscribe')
const tabbar = require('../../utils/tabbar')
const tasks = require('../../logic/tasks')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    worker: true,
    mode: 'overdue',
    located: false,
    rows: [],
    total: 0,
    overdue: 0,
    dueSoon: 0,
    loading: true,
  },
  methods: {
    onLoad() {
      subscribe.prefetch()
      return this.refresh()
    },
    onShow() {
      this.setTitle('nav_tasks')
      tabbar.sync(this, 'tasks')
      return returning(this) ? this.refresh() : null // onLoad asked already
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onLangChange() {
      return this.refresh()
    },
    async refresh() {
      this.clearError()
      try {
        const user = await api.me()
        if (user.role !== 'grid_worker') {
          // the tab bar hides this page from residents, but an old link may still land here
          this.setData({ worker: false, rows: [] })
          return
        }
        let here = null
        try {
          here = await location.here()
        } catch (err) {
          here = null // no position: the server orders overdue first
        }
        const [tree, answer] = await Promise.all([
          api.categories(),
          api.tasks(here ? { lat: here.lat, lng: here.lng, limit: 100 } : { limit: 100 }),
        ])
        categories.index(tree)
        this._tasks = answer.items
        const mode = here ? 'nearest' : 'overdue'
        const s = tasks.summary(answer.items)
        this.setData({
          worker: true,
          located: Boolean(here),
          mode,
          rows: tasks.rows(answer.items, mode),
          total: s.total,
          overdue: s.overdue,
          dueSoon: s.dueSoon,
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    setMode(e) {
      const mode = e.currentTarget.dataset.mode
      this.setData({ mode, rows: tasks.rows(this._tasks || [], mode) })
    },
    open(e) {
      return wxp.quietly('navigateTo', { url: `/pages/task/task?id=${e.currentTarget.dataset.id}` })
    },
    patrol() {
      return wxp.quietly('navigateTo', { url: '/pages/patrol/patrol' })
    },
    bind() {
      return wxp.quietly('navigateTo', { url: '/pages/bind/bind' })
    },
    // 新任务提醒: consent for the task template, asked on this tap.
    remindMe() {
      return subscribe.ask(['task']).then((results) => {
        if (results && Object.values(results).indexOf('accept') >= 0) this.toast('subscribe_ok')
        return results
      })
    },
  },
})
