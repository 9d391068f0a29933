// 首页: residents get the report button, the ways to 志愿服务 and 居民参与, their open cases
// (已超期 marked) and the unread notices; grid workers their task counts (overdue too) and 巡查上报.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const format = require('../../utils/format')
const participation = require('../../logic/participation')
const queue = require('../../utils/queue')
const tabbar = require('../../utils/tabbar')
const tasks = require('../../logic/tasks')
const ticket = require('../../logic/ticket')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')

const OPEN_SHOWN = 5
const NOTICES_SHOWN = 3

Component({
  behaviors: [page],
  data: {
    loading: true,
    name: '',
    worker: false,
    openTickets: [],
    openCount: 0,
    communityNotices: [],
    unread: 0,
    waiting: 0,
    taskTotal: 0,
    taskOverdue: 0,
  },
  lifetimes: {
    attached() {
      this._offQueue = queue.onChange(() => this.setData({ waiting: queue.pendingCount() }))
    },
    detached() {
      if (this._offQueue) this._offQueue()
    },
  },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onShow() {
      this.setTitle('nav_home') // here, not in onLoad: the language may have changed meanwhile
      tabbar.sync(this, 'home')
      this.setData({ waiting: queue.pendingCount() })
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
        const worker = user.role === 'grid_worker'
        const [tree, notices, mine, myTasks, board] = await Promise.all([
          api.categories(),
          api.notifications({ limit: 1 }),
          worker ? null : api.myTickets({ relation: 'reported', limit: 50 }),
          worker ? api.tasks({}) : null,
          // the community notices of my homes: a part of the page that may be missing (no
          // home declared, or an older server) without hiding the rest
          worker ? null : api.myNotices().catch(() => ({ items: [] })),
        ])
        categories.index(tree)
        const data = {
          name: user.display_name || '',
          worker,
          unread: notices.unread_count || 0,
          waiting: queue.pendingCount(),
        }
        if (worker) {
          const s = tasks.summary(myTasks.items)
          data.taskTotal = s.total
          data.taskOverdue = s.overdue
        } else {
          const open = mine.items.filter((i) => format.isOpen(i.state))
          data.openCount = open.length
          data.openTickets = open.slice(0, OPEN_SHOWN).map((i) => ticket.row(i))
          data.communityNotices = board.items.slice(0, NOTICES_SHOWN).map((n) => participation.noticeView(n))
        }
        this.setData(data)
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    goReport() {
      return wxp.quietly('switchTab', { url: '/pages/report/report' })
    },
    goTasks() {
      return wxp.quietly('switchTab', { url: '/pages/tasks/tasks' })
    },
    goPatrol() {
      return wxp.quietly('navigateTo', { url: '/pages/patrol/patrol' })
    },
    goTickets() {
      return wxp.quietly('navigateTo', { url: '/pages/tickets/tickets?relation=reported' })
    },
    goTicket(e) {
      return wxp.quietly('navigateTo', { url: `/pages/ticket/ticket?id=${e.currentTarget.dataset.id}` })
    },
    goNotices() {
      return wxp.quietly('navigateTo', { url: '/pages/notices/notices' })
    },
    // A community notice: marked read here at once; the notice page reports the read.
    goCommunityNotice(e) {
      const id = Number(e.currentTarget.dataset.id)
      this.setData({
        communityNotices: this.data.communityNotices.map((n) => (n.id === id ? Object.assign({}, n, { read: true }) : n)),
      })
      return wxp.quietly('navigateTo', { url: `/pages/participation/notice?id=${id}` })
    },
    goParticipation() {
      return wxp.quietly('navigateTo', { url: '/pages/participation/index' })
    },
    goVolunteers() {
      return wxp.quietly('navigateTo', { url: '/pages/volunteers/index' })
    },
    goMe() {
      return wxp.quietly('switchTab', { url: '/pages/me/me' })
    },
  },
})
