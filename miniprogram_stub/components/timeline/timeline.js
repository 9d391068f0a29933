// A ticket's timeline (items from logic/ticket.timeline): what happened, when, with photos.
const wxp = require('../../utils/wxp')

Component({
  options: { addGlobalClass: true },
  properties: {
    items: { type: Array, value: [] },
  },
  methods: {
    preview(e) {
      const { event, index } = e.currentTarget.dataset
      const item = this.data.items.find((i) => String(i.id) === String(event))
      if (!item) return
      const urls = item.photos.map((p) => p.url)
      wxp.quietly('previewImage', { urls, current: urls[Number(index)] })
    },
  },
})
