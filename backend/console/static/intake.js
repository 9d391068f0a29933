// 登记事件: the 12345 number shows for 12345 transfers only; a click on the grid map sets
// the pin and the coordinates (the inverse of console/geometry.py's Frame.xy).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }
  var refField = document.getElementById("external-ref-field");

  function showRef() {
    var checked = form.querySelector("input[name=source]:checked");
    var hotline = checked && checked.value === "hotline";
    refField.hidden = !hotline;
    refField.classList.remove("hidden-unless-hotline");
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=source]"), function (radio) {
    radio.addEventListener("change", showRef);
  });
  showRef();

  var map = document.getElementById("pick-map");
  if (!map) { return; }
  var pin = document.getElementById("pick-pin");
  var lat = document.getElementById("lat");
  var lng = document.getElementById("lng");
  var minLng = parseFloat(map.dataset.minLng), maxLat = parseFloat(map.dataset.maxLat);
  var scale = parseFloat(map.dataset.scale), kx = parseFloat(map.dataset.kx);
  var margin = parseFloat(map.dataset.margin);

  function place(x, y) {
    pin.setAttribute("transform", "translate(" + x + " " + y + ")");
    pin.setAttribute("visibility", "visible");
  }

  function toXY(lngValue, latValue) {
    return [margin + (lngValue - minLng) * kx * scale, margin + (maxLat - latValue) * scale];
  }

  map.addEventListener("click", function (event) {
    var point = map.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var local = point.matrixTransform(map.getScreenCTM().inverse());
    var lngValue = minLng + (local.x - margin) / (kx * scale);
    var latValue = maxLat - (local.y - margin) / scale;
    lng.value = lngValue.toFixed(6);
    lat.value = latValue.toFixed(6);
    place(local.x, local.y);
  });

  if (lat.value && lng.value && !isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lng.value))) {
    var xy = toXY(parseFloat(lng.value), parseFloat(lat.value));
    place(xy[0], xy[1]);
  }
}());
