// The tab bar: residents 首页 · 上报 · 办事 · 我的, grid workers 首页 · 任务 · 我的, in the chosen
// language (a native tab bar could show neither the role nor the language); each tab an icon
// over its label, green when selected, as WeUI's tab bar.
const i18n = require('../utils/i18n')
const session = require('../utils/session')
const tabbar = require('../utils/tabbar')
const wxp = require('../utils/wxp')

Component({
  data: {
    selected: '',
    items: [],
  },
  lifetimes: {
    attached() {
      this.refresh(this.data.selected)
      this._offLang = i18n.onChange(() => this.refresh(this.data.selected))
      this._offSession = session.onChange(() => this.refresh(this.data.selected))
    },
    detached() {
      if (this._offLang) this._offLang()
      if (this._offSession) this._offSession()
    },
  },
  methods: {
    refresh(selected, role) {
      const items = tabbar.itemsFor(role === undefined ? session.role() : role)
        .map((item) => ({ name: item.name, url: item.url, text: i18n.t(item.key), icon: item.icon, iconOn: item.iconOn }))
      this.setData({ selected: selected || '', items })
    },
    go(e) {
      const { url, name } = e.currentTarget.dataset
      this.setData({ selected: name })
      return wxp.quietly('switchTab', { url })
    },
  },
})
