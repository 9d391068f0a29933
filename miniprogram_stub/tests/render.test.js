// The main pages rendered to standalone HTML (the page's DOM with the app's and the page's
// WXSS, rpx converted for a 375 px wide phone), for looking at them in a real browser:
// test-artifacts/miniprogram/<page>.html. The README's picture of the mini-program is one.
const fs = require('fs')
const path = require('path')
const { setup, render, settle, ROOT } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')

const OUT = path.resolve(ROOT, '..', 'test-artifacts', 'miniprogram')
const WIDTH = 375

// WXSS → CSS for a browser: rpx is 1/750 of the screen's width; WXML's tags are rendered by
// miniprogram-simulate as wx-<tag> elements; `page` is the body.
function toCss(wxss) {
  return wxss
    .replace(/(-?\d*\.?\d+)rpx/g, (_, n) => `${(parseFloat(n) * WIDTH / 750).toFixed(2)}px`)
    .replace(/(^|[\s,{}>+~])page(?=[\s,{.:[])/g, '$1body')
    .replace(/(^|[\s,{}>+~])(view|text|button|image|input|textarea|picker|navigator|scroll-view|swiper|icon|map|label|form|checkbox|radio|switch)(?=[\s,{.:[>+~])/g, '$1wx-$2')
}

// miniprogram-simulate scopes a component's classes (`main--card`); the page's WXSS names
// them plainly.
function unscoped(html) {
  return html.replace(/class="([^"]*)"/g, (_, names) =>
    `class="${names.split(/\s+/).map((n) => n.replace(/^[\w-]+?--/, '')).join(' ')}"`)
}

function standalone(page, file) {
  const css = ['app.wxss', `${file}.wxss`]
    .map((name) => path.join(ROOT, name))
    .filter((p) => fs.existsSync(p))
    .map((p) => toCss(fs.readFileSync(p, 'utf8')))
    .join('\n')
  const base = `
    html { -webkit-text-size-adjust: 100%; }
    body { margin: 0; width: ${WIDTH}px; font-family: -apple-system, "PingFang SC", "WenQuanYi Micro Hei", sans-serif; }
    wx-view, wx-scroll-view, wx-form, wx-swiper { display: block; }
    wx-text, wx-label, wx-icon { display: inline; }
    wx-button { display: block; text-align: center; padding: 10px 0; border-radius: 5px; background: #f8f8f8; border: 1px solid rgba(0,0,0,.1); }
    wx-image { display: inline-block; width: 320px; height: 240px; overflow: hidden; }
    wx-input, wx-textarea { display: block; }`
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=${WIDTH}"><style>${base}\n${css}</style></head>
<body>${unscoped(page.dom.innerHTML)}</body></html>\n`
}

test('the resident\'s home renders to a standalone page', async () => {
  const env = setup()
  env.server.addTicket({ state: 'dispatched', description: '5栋2单元楼道灯坏了一个星期' })
  env.server.addTicket({ state: 'accepted', description: '晋吉南路12号院门口污水外溢' })
  env.server.notifications = [
    { id: 1, kind: 'ticket_dispatched', title: '楼道灯损坏：已派遣', body: '', page: 'pages/ticket/ticket?id=101', created_at: iso(), read: false },
  ]
  const page = render(env.simulate, 'home')
  await page.instance.onLoad({})
  await settle()
  const html = standalone(page, 'pages/home/home')
  expect(html).toContain('我要上报')
  expect(html).toContain('5栋2单元楼道灯坏了一个星期')
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, 'home.html'), html)
})
