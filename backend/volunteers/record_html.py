"""The printable record of service (志愿服务记录证明), per the Ministry of Civil Affairs'
rules: activity, date, place, content, hours and organiser for each approved record."""

RECORD_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>志愿服务记录 — 邻里平台</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:4px 6px;text-align:left}
.note{color:#555;font-size:0.9em}@media print{.noprint{display:none}}
</style></head><body>
<h1>志愿服务记录</h1>
<p>志愿者：{{ profile.real_name if profile else user.display_name }}
{% if profile and profile.id_number_last4 %}　身份证号：**************{{ profile.id_number_last4 }}{% endif %}</p>
<p>累计认定服务时长：{{ '%g' % summary.approved_hours }} 小时{% if summary.star_name %}（{{ summary.star_name }}）{% endif %}</p>
<table><thead><tr><th>活动</th><th>日期</th><th>地点</th><th>服务内容</th><th>时长（小时）</th><th>组织单位</th></tr></thead>
<tbody>
{% for r in rows %}{% set a = texts(r.activity) %}<tr><td>{{ a.title }}</td><td>{{ local(r.activity.start_at)[:10] }}</td>
<td>{{ a.place_name }}</td><td>{{ a.content }}</td>
<td>{{ '%g' % (r.minutes / 60) }}</td><td>{{ team_name(r.activity.team) }}（{{ r.activity.team.place.name }}）</td></tr>
{% else %}<tr><td colspan="6">暂无已认定的服务记录。</td></tr>{% endfor %}
</tbody></table>
<p class="note">本记录由“邻里”社区治理平台根据志愿服务组织认定的服务记录生成，仅为本平台记录，
生成时间 {{ now }}（北京时间）。</p>
</body></html>
"""
