// Closed days on the booking page (issue 17): a Sunday says 休息, a public holiday its name
// (节假日 without one), a closure its reason — never 已约满, which only an open day whose
// slots are all taken says.
const { setup, render, text, all, settle } = require('./helpers/env')

const slot = (start, end, free) => ({ start, end, kind: 'regular', capacity: 2, free })

const DAYS = [
  { date: '2027-01-01', weekday: 4, open: false, closed_reason: 'holiday', closed_label: '元旦', day_kind: 'holiday', note: '元旦', slots: [] },
  { date: '2027-01-03', weekday: 6, open: false, closed_reason: 'rest_day', closed_label: '休息', day_kind: 'weekend', note: null, slots: [] },
  { date: '2027-01-04', weekday: 0, open: false, closed_reason: 'closure', closed_label: '消防演练', day_kind: 'closure', note: '消防演练', slots: [] },
  {
    date: '2027-01-05', weekday: 1, open: true, closed_reason: null, closed_label: null, day_kind: 'workday', note: null,
    slots: [],
  },
  {
    date: '2027-01-06', weekday: 2, open: true, closed_reason: null, closed_label: null, day_kind: 'workday', note: null,
    slots: [slot('2027-01-06T09:00:00+08:00', '2027-01-06T09:30:00+08:00', 1)],
  },
]

async function openItem(env) {
  const page = render(env.simulate, 'item', 'pages/bookings/item')
  await page.instance.onLoad({ id: '31' })
  await settle()
  return page
}

function pickDay(page, index) {
  page.instance.pickDay({ currentTarget: { dataset: { index } } })
}

test('closed days say 休息, the holiday or the closure; a full day says 已约满', async () => {
  const env = setup()
  env.server.slotDays = JSON.parse(JSON.stringify(DAYS))
  const page = await openItem(env)
  expect(page.data.days.map((d) => [d.label, d.open, d.note])).toEqual([
    ['01-01 周五', false, '元旦'],
    ['01-03 周日', false, '休息'],
    ['01-04 周一', false, '消防演练'],
    ['01-05 周二', false, '已约满'],
    ['01-06 周三', true, ''],
  ])
  expect(all(page, '.day-note').map((n) => n.dom.textContent.trim())).toEqual(['元旦', '休息', '消防演练', '已约满', ''])
  expect(page.data.dayIndex).toBe(4) // the first day with a free slot
  pickDay(page, 1)
  expect(text(page, '.slots-empty')).toBe('这一天服务中心不办公（休息）')
  pickDay(page, 2)
  expect(text(page, '.slots-empty')).toBe('这一天服务中心不办公（消防演练）')
  pickDay(page, 3)
  expect(text(page, '.slots-empty')).toBe('这一天没有可预约的时间')
})

test('without a label from the server: 休息, 节假日, 停办 by the reason', () => {
  const env = setup()
  const bookings = env.mod('logic/bookings')
  const tabs = bookings.dayTabs([
    { date: '2027-01-03', open: false, closed_reason: 'rest_day', slots: [] },
    { date: '2027-01-01', open: false, closed_reason: 'holiday', note: null, slots: [] },
    { date: '2027-01-02', open: false, closed_reason: 'holiday', note: '元旦', slots: [] },
    { date: '2027-01-04', open: false, closed_reason: 'closure', slots: [] },
    { date: '2027-01-05', open: false, slots: [] }, // an older server: no reason
  ])
  expect(tabs.map((t) => t.note)).toEqual(['休息', '节假日', '元旦', '停办', '不办公'])
  expect(tabs.every((t) => t.closed && !t.open)).toBe(true)
})

test('in English: Rest day, the holiday, the closure', () => {
  const env = setup()
  env.mod('utils/i18n').setLang('en')
  const bookings = env.mod('logic/bookings')
  const tabs = bookings.dayTabs([
    { date: '2027-01-03', open: false, closed_reason: 'rest_day', slots: [] },
    { date: '2027-01-01', open: false, closed_reason: 'holiday', slots: [] },
    { date: '2027-01-05', open: true, slots: [] },
  ])
  expect(tabs.map((t) => t.note)).toEqual(['Rest day', 'Public holiday', 'Full'])
  expect(tabs[0].empty).toBe('The centre is closed on this day (Rest day)')
})
