// 我的预约: the code to give at the counter, when and where, the materials; cancel or move
// it until the cut-off. Reminders (the evening before, an hour before) open this page.
const api = require('../../utils/api')
const bookings = require('../../logic/bookings')
const i18n = require('../../utils/i18n')
const wxp = require('../../utils/wxp')
const { page, returning } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    id: null,
    booking: null,
    loading: true,
    busy: false,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_booking')
      this.setData({ id: Number(query && query.id) })
      return this.load()
    },
    onShow() {
      return returning(this) ? this.load() : null // back from moving it
    },
    onLangChange() {
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        this.setData({ booking: bookings.bookingView(await api.booking(this.data.id)) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    async cancel() {
      const answer = await wxp.call('showModal', {
        title: i18n.t('booking_cancel'),
        content: i18n.t('booking_cancel_confirm'),
        confirmText: i18n.t('confirm'),
        cancelText: i18n.t('cancel'),
      }).catch(() => ({ confirm: false }))
      if (!answer.confirm) return null
      this.setData({ busy: true })
      try {
        const booking = await api.cancelBooking(this.data.id)
        this.setData({ booking: bookings.bookingView(booking) })
        this.toast('booking_cancelled')
        return booking
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ busy: false })
      }
    },
    move() {
      const b = this.data.booking
      return wxp.quietly('navigateTo', { url: `/pages/bookings/item?id=${b.itemId}&reschedule=${b.id}` })
    },
    call() {
      return wxp.quietly('makePhoneCall', { phoneNumber: this.data.booking.phone })
    },
  },
})
