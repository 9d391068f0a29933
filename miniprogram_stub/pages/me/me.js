// 我的: who I am, the language (中文 / English), my cases, what waits for signal (send
// again or drop), and the way in for grid workers (绑定网格员).
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const queue = require('../../utils/queue')
const session = require('../../utils/session')
const settings = require('../../utils/settings')
const tabbar = require('../../utils/tabbar')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    name: '',
    roleLabel: '',
    worker: false,
    cells: '',
    waiting: [],
    apiBase: '', // a development build only: the API's address, for whoever debugs it
  },
  lifetimes: {
    attached() {
      this._offQueue = queue.onChange(() => this.setData({ waiting: this.waitingRows() }))
    },
    detached() {
      if (this._offQueue) this._offQueue()
    },
  },
  methods: {
    onLoad() {
      this.setData({ apiBase: settings.isDevelopment() ? settings.get().apiBase : '' })
      return this.refresh()
    },
    onShow() {
      this.setTitle('nav_me')
      tabbar.sync(this, 'me')
      this.show(session.user()) // e.g. just bound as a grid worker
      this.setData({ waiting: this.waitingRows() })
    },
    onLangChange() {
      this.setTitle('nav_me')
      this.show(session.user())
    },
    show(user) {
      if (!user) return
      this.setData({
        name: user.display_name || '',
        roleLabel: i18n.t(`role_${user.role}`),
        worker: user.role === 'grid_worker',
        cells: (user.cells || []).map((c) => c.name).join('、'),
      })
    },
    async refresh() {
      this.setData({ waiting: this.waitingRows() })
      this.show(session.user())
      try {
        this.show(await api.me())
      } catch (err) {
        this.showError(err)
      }
    },
    waitingRows() {
      return queue.list().map((s) => ({
        id: s.id,
        label: s.label || i18n.t(`kind_${s.kind}`),
        kind: i18n.t(`kind_${s.kind}`),
        failed: s.status === 'failed',
        error: s.error,
      }))
    },
    // The pages switch at once; logged in, the choice is kept on the server too, so
    // content and notifications to me come in it (a failure leaves this phone switched).
    async setLang(e) {
      const lang = e.currentTarget.dataset.lang
      i18n.setLang(lang)
      if (!session.token()) return
      try {
        await api.setLanguage(lang)
      } catch (err) {
        this.showError(err)
      }
    },
    async retry(e) {
      try {
        await queue.retry(e.currentTarget.dataset.id)
        this.toast('waiting_sent')
      } catch (err) {
        this.showError(err)
      }
      this.setData({ waiting: this.waitingRows() })
    },
    drop(e) {
      queue.remove(e.currentTarget.dataset.id)
      this.setData({ waiting: this.waitingRows() })
    },
    go(e) {
      return wxp.quietly('navigateTo', { url: e.currentTarget.dataset.url })
    },
  },
})
