// The main pages rendered to standalone HTML (the page's DOM with the app's, the page's and
// its components' WXSS, rpx converted for a 375 px wide phone; the tab pages with the custom
// tab bar under them), for looking at them in a real browser: <out>/<page>.html, where <out>
// is $LINLI_RENDER_OUT or test-artifacts/miniprogram. tests/test_miniprogram_screens_browser.py
// (pytest) runs this file, opens each page in chromium at 375 x 812, fails when a page is
// wider than the screen and keeps the screenshots; the README's pictures are some of them.
const fs = require('fs')
const path = require('path')
const { setup, render, settle, ROOT } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')
const { volunteerApi } = require('./helpers/volunteer-api')
const { participationApi, withHome } = require('./helpers/participation-api')
const { yardsApi } = require('./helpers/yards-api')

const OUT = process.env.LINLI_RENDER_OUT || path.resolve(ROOT, '..', 'test-artifacts', 'miniprogram')
const WIDTH = 375
const TAGS = 'view|text|button|image|input|textarea|picker|navigator|scroll-view|swiper|icon|map|label|form|checkbox|radio|switch|progress|rich-text|checkbox-group|radio-group'
const fileUrl = (p) => `file://${p.split(path.sep).map(encodeURIComponent).join('/')}`

// WXSS → CSS for a browser: rpx is 1/750 of the screen's width; WXML's tags are rendered by
// miniprogram-simulate as wx-<tag> elements; `page` is the body.
function toCss(wxss) {
  return wxss
    .replace(/(-?\d*\.?\d+)rpx/g, (_, n) => `${(parseFloat(n) * WIDTH / 750).toFixed(2)}px`)
    .replace(/(^|[\s,{}>+~])page(?=[\s,{.:[])/g, '$1body')
    .replace(new RegExp(`(^|[\\s,{}>+~])(${TAGS})(?=[\\s,{.:[>+~])`, 'g'), '$1wx-$2')
}

// miniprogram-simulate scopes a component's classes (`main--card`); the WXSS names them
// plainly. <image> becomes an <img> inside its box (the project's own files by file URL).
function forBrowser(html) {
  return html
    .replace(/class="([^"]*)"/g, (_, names) =>
      `class="${names.split(/\s+/).map((n) => n.replace(/^[\w-]+?--/, '')).join(' ')}"`)
    .replace(/<wx-image([^>]*?)\ssrc="([^"]*)"([^>]*)>/g, (_, before, src, after) => {
      const url = src.startsWith('/') ? fileUrl(path.join(ROOT, src)) : src
      const fit = /mode="aspectFill"/.test(before + after) ? 'cover' : 'contain'
      return `<wx-image${before}${after}><img src="${url}" alt="" style="width:100%;height:100%;object-fit:${fit}">`
    })
}

const WXSS = (file) => ['app.wxss', `${file}.wxss`, 'components/photo-picker/photo-picker.wxss',
  'components/timeline/timeline.wxss', 'custom-tab-bar/index.wxss']

function standalone(page, file, tabBar) {
  const css = WXSS(file)
    .map((name) => path.join(ROOT, name))
    .filter((p) => fs.existsSync(p))
    .map((p) => toCss(fs.readFileSync(p, 'utf8')))
    .join('\n')
  const pin = fileUrl(path.join(ROOT, 'images/pin.png'))
  const base = `
    html { -webkit-text-size-adjust: 100%; }
    body { margin: 0; width: ${WIDTH}px; font-family: -apple-system, "PingFang SC", "WenQuanYi Micro Hei", sans-serif; }
    wx-view, wx-scroll-view, wx-form, wx-swiper, wx-progress, wx-rich-text, wx-picker { display: block; }
    wx-text, wx-label, wx-icon { display: inline; }
    wx-button { display: block; text-align: center; padding: 10px 0; border-radius: 5px; background: #f8f8f8; border: 1px solid rgba(0,0,0,.1); }
    wx-button[size="mini"] { display: inline-block; padding: 2px 12px; font-size: 13px; }
    wx-image { display: inline-block; width: 320px; height: 240px; overflow: hidden; }
    wx-input, wx-textarea { display: block; min-height: 1.5em; box-sizing: border-box; }
    wx-input { display: flex; align-items: center; }
    wx-input::before, wx-textarea::before { content: attr(value); }
    wx-input:not([value])::before, wx-textarea:not([value])::before { content: attr(placeholder); color: #999; }
    wx-map { display: block; position: relative; background: #e3ebe6 repeating-linear-gradient(90deg, transparent 0 46px, #fff 46px 50px), repeating-linear-gradient(0deg, #e3ebe6 0 60px, #fff 60px 64px); }
    wx-map::after { content: ''; position: absolute; left: 50%; top: 50%; width: 30px; height: 40px; margin: -40px 0 0 -15px; background: url("${pin}") no-repeat center / contain; }`
  const bar = tabBar ? `\n<div class="tab-bar-host">${forBrowser(tabBar.dom.innerHTML)}</div>` : ''
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=${WIDTH}"><style>${base}\n${css}</style></head>
<body>${forBrowser(page.dom.innerHTML)}${bar}</body></html>\n`
}

// A resident with cases (one overdue), notices, a home in 晋阳社区, volunteering, bookings.
function world() {
  const env = setup()
  const { server } = env
  volunteerApi(server)
  const w = participationApi(server)
  withHome(w)
  yardsApi(server, w)
  server.user = Object.assign({}, server.user, { display_name: '王阿姨' })
  server.addTicket({ state: 'dispatched', description: '5栋2单元楼道灯坏了一个星期', due_at: iso(86400000) })
  server.addTicket({ state: 'accepted', description: '晋吉南路12号院门口污水外溢', due_at: iso(-2 * 86400000) })
  server.addTicket({ state: 'closed', description: '小区东门垃圾堆放已清运', due_at: null })
  server.notifications = [
    { id: 1, kind: 'ticket_dispatched', title: '楼道灯损坏：已派遣', body: '', page: 'pages/ticket/ticket?id=101', created_at: iso(), read: false },
  ]
  server.nearbyItems = [
    { id: 101, description: '5栋2单元楼道灯坏了一个星期', state: 'dispatched', distance_m: 20, follower_count: 2, created_at: iso(86400000), following: false, mine: true },
    { id: 120, description: '5栋1单元楼道灯也不亮', state: 'accepted', distance_m: 60, follower_count: 1, created_at: iso(2 * 86400000), following: false, mine: false },
  ]
  server.serviceItems.push(
    { id: 32, code: 'SB02', name: '城乡居民医疗保险参保登记', name_en: 'Medical insurance registration', department: '武侯区医保局', materials: [], notes: '', duration_minutes: 20, bookable_online: true },
    { id: 33, code: 'SB03', name: '养老保险待遇领取资格认证', name_en: 'Pension eligibility check', department: '武侯区社保局', materials: [], notes: '', duration_minutes: 15, bookable_online: true },
    { id: 34, code: 'SB04', name: '居住证办理（含临时居住登记）', name_en: 'Residence permit', department: '晋阳街道便民服务中心', materials: [], notes: '', duration_minutes: 30, bookable_online: true },
  )
  return env
}

// [name, page file, query, its tab (tab pages), what the page must show]
const SCREENS = [
  ['home', 'pages/home/home', {}, 'home', ['我要上报', '志愿服务', '居民参与', '已超期']],
  ['report', 'pages/report/report', {}, 'report', ['拖动地图', '重新选点', '我上报的', '我也遇到']],
  ['tickets', 'pages/tickets/tickets', { relation: 'reported' }, null, ['已超期', '楼道灯坏了一个星期']],
  ['ticket', 'pages/ticket/ticket', { id: '101' }, null, ['已超期', '楼道灯坏了一个星期']],
  ['me', 'pages/me/me', {}, 'me', ['志愿服务', '居民参与']],
  ['bookings', 'pages/bookings/index', {}, 'services', ['武侯区社保局', '武侯区医保局', '城乡居民基本养老保险参保登记']],
  ['volunteers', 'pages/volunteers/index', {}, null, []],
  ['participation', 'pages/participation/index', {}, null, ['居务', '党务']],
  ['yard', 'pages/participation/yard', {}, null, ['院落长', '本户签署公约', '已签署 1/12 户']],
]

describe.each(SCREENS)('%s renders to a standalone page', (name, file, query, tab, shown) => {
  test('with its text, in the browser\'s terms', async () => {
    const env = world()
    const page = render(env.simulate, name, file)
    if (name === 'report') {
      await page.instance.onLoad(query)
      page.instance.onTopChange({ detail: { value: 0 } })
      await page.instance.onSubChange({ detail: { value: 0 } })
    } else {
      await page.instance.onLoad(query)
    }
    if (page.instance.onShow) await page.instance.onShow()
    await settle()
    expect(page.data.error).toBe('')
    let bar = null
    if (tab) {
      bar = render(env.simulate, 'tab', 'custom-tab-bar/index')
      bar.instance.refresh(tab)
    }
    const html = standalone(page, file, bar)
    shown.forEach((words) => expect(html).toContain(words))
    expect(html).not.toMatch(/class="[^"]*\bmain--/) // every class unscoped for the WXSS
    expect(html).not.toContain('rpx')
    if (bar) expect(html).toContain(`images/tab/${tab}-on.png`)
    fs.mkdirSync(OUT, { recursive: true })
    fs.writeFileSync(path.join(OUT, `${name}.html`), html)
  })
})
