// Photos for a report, a resolution or a supplement: taken or picked with wx.chooseMedia
// (at most 9), shown as thumbnails, removable until the form is sent.
const { page } = require('../../utils/behaviors')
const wxp = require('../../utils/wxp')

Component({
  options: { addGlobalClass: true },
  behaviors: [page],
  properties: {
    photos: { type: Array, value: [] },
    max: { type: Number, value: 9 },
    disabled: { type: Boolean, value: false },
  },
  methods: {
    add() {
      const room = this.data.max - this.data.photos.length
      if (this.data.disabled || room <= 0) return Promise.resolve(this.data.photos)
      return wxp.call('chooseMedia', {
        count: room,
        mediaType: ['image'],
        sourceType: ['camera', 'album'],
        sizeType: ['compressed'],
        camera: 'back',
      }).then((res) => {
        const picked = (res.tempFiles || []).map((f) => f.tempFilePath).filter(Boolean)
        const photos = this.data.photos.concat(picked).slice(0, this.data.max)
        this.triggerEvent('change', { photos })
        return photos
      }, (err) => {
        if (!/cancel/i.test((err && err.errMsg) || '')) this.showError(err)
        return this.data.photos
      })
    },
    remove(e) {
      if (this.data.disabled) return
      const index = Number(e.currentTarget.dataset.index)
      const photos = this.data.photos.filter((p, i) => i !== index)
      this.triggerEvent('change', { photos })
    },
    preview(e) {
      const index = Number(e.currentTarget.dataset.index)
      wxp.quietly('previewImage', { urls: this.data.photos, current: this.data.photos[index] })
    },
  },
})
