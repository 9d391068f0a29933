// 预约办理: one service item — the materials to bring, then the service point (服务中心,
// 连心驿站, 居民之家: each with today's hours, nearest first when the phone gives its
// location), a day and a free slot (延时 marks the after-hours window) — and 预约. Also used
// to move a booking (?reschedule=id): then only the booking's own point.
const api = require('../../utils/api')
const bookings = require('../../logic/bookings')
const subscribe = require('../../utils/subscribe')
const wxp = require('../../utils/wxp')
const { ApiError } = require('../../utils/errors')
const { newKey } = require('../../utils/idempotency')
const { page } = require('../../utils/behaviors')
const location = require('../../utils/location')

Component({
  behaviors: [page],
  data: {
    id: null,
    rescheduleId: null,
    item: null,
    centres: [],
    centreIndex: 0,
    located: false,
    days: [],
    dayIndex: 0,
    slots: [],
    selected: '',
    selectedNoCancel: false,
    status: { paused: false, text: '' },
    loading: true,
    busy: false,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_service_item')
      subscribe.prefetch()
      this.setData({
        id: Number(query && query.id),
        rescheduleId: query && query.reschedule ? Number(query.reschedule) : null,
      })
      return this.load()
    },
    onLangChange() {
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const where = await this.whereAmI()
        const [item, found, status, moving] = await Promise.all([
          api.serviceItem(this.data.id), api.centres(this.data.id, where || {}), api.bookingStatus(),
          this.data.rescheduleId ? api.booking(this.data.rescheduleId) : null,
        ])
        // a booking moves within its own point
        const centres = moving ? found.filter((c) => c.id === moving.centre.id) : found
        const kept = centres.findIndex((c) => this.data.centres[this.data.centreIndex] &&
          c.id === this.data.centres[this.data.centreIndex].id)
        this.setData({
          item: bookings.itemView(item),
          centres: centres.map(bookings.pointRow),
          centreIndex: kept >= 0 ? kept : 0,
          located: Boolean(where) && centres.some((c) => c.distance_m !== null && c.distance_m !== undefined),
          status: bookings.statusBanner(status),
        })
        if (centres.length) await this.loadSlots()
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    // Where the phone is, once per page (null when the resident says no or it fails: the
    // points then come in their community's order).
    async whereAmI() {
      if (this._where === undefined) {
        try {
          const here = await location.here()
          this._where = { lat: here.lat, lng: here.lng }
        } catch (err) {
          this._where = null
        }
      }
      return this._where
    },
    async loadSlots() {
      const centre = this.data.centres[this.data.centreIndex]
      try {
        const answer = await api.slots(centre.id, this.data.id)
        this._days = answer.days || []
        this._cancellableFrom = answer.cancellable_from
        const dayIndex = bookings.firstOpenDay(this._days)
        this.setData({ days: bookings.dayTabs(this._days), dayIndex, slots: bookings.slotRows(this._days[dayIndex], this._cancellableFrom), selected: '', selectedNoCancel: false })
      } catch (err) {
        this.showError(err)
      }
    },
    pickPoint(e) {
      const centreIndex = Number(e.currentTarget.dataset.index)
      if (centreIndex === this.data.centreIndex) return null
      this.setData({ centreIndex })
      return this.loadSlots()
    },
    pickDay(e) {
      const dayIndex = Number(e.currentTarget.dataset.index)
      this.setData({ dayIndex, slots: bookings.slotRows(this._days[dayIndex], this._cancellableFrom), selected: '', selectedNoCancel: false })
    },
    pickSlot(e) {
      const { start, full } = e.currentTarget.dataset
      if (full) return
      const slot = this.data.slots.find((s) => s.start === start)
      this.setData({ selected: start, selectedNoCancel: Boolean(slot && slot.noCancel) })
    },
    book() {
      if (!this.data.selected || this.data.busy || this.data.status.paused) return null
      const consent = subscribe.ask(['booking']) // the reminders: asked inside the tap
      return this.send(consent)
    },
    async send(consent) {
      this.setData({ busy: true, error: '' })
      await consent
      const centre = this.data.centres[this.data.centreIndex]
      const choice = { centreId: centre.id, itemId: this.data.id, startAt: this.data.selected }
      // one key per chosen slot: tapping again after a timeout books it once
      const signature = JSON.stringify(choice)
      if (this._signature !== signature) {
        this._signature = signature
        this._key = newKey()
      }
      try {
        const booking = this.data.rescheduleId
          ? await api.reschedule(this.data.rescheduleId, choice.startAt)
          : await api.book(choice, this._key)
        this.toast(this.data.rescheduleId ? 'booking_moved' : 'booking_done')
        wxp.quietly('redirectTo', { url: `/pages/bookings/detail?id=${booking.id}` })
        return booking
      } catch (err) {
        this.showError(err)
        if (err instanceof ApiError && !err.retryable) {
          this._signature = null // a refusal: the next tap is a new request
          if (err.status === 409) await this.loadSlots() // taken meanwhile: show what is left
        }
        return null
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
