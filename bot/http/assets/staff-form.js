// 拨打 on the staff 详情 form (bot/http/staff-form-page.ts): asks the server for the audited number
// (POST <form>/call, JSON), then opens the dialler with its tel: link. Without this script the same
// form posts normally and the server answers with a page holding the tel: link.
(function () {
  var form = document.getElementById('call');
  var status = document.getElementById('call-status');
  if (!form || !status || !window.fetch) return;
  var button = form.querySelector('button');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (button) button.disabled = true;
    status.textContent = '正在获取号码…';
    fetch(form.getAttribute('action'), { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, body: body };
        });
      })
      .then(function (r) {
        if (button) button.disabled = false;
        if (!r.ok || !r.body.tel) {
          status.textContent = r.body.message || '暂时无法获取号码，请稍后再试。';
          return;
        }
        status.textContent = r.body.message + ' ';
        // Where no dialler opens (WeCom on a desktop), the number stays here as a link.
        var again = document.createElement('a');
        again.href = r.body.tel;
        again.textContent = '再次拨打';
        status.appendChild(again);
        // The outcome now records this call: 已接通… or 未接通.
        var labels = document.querySelectorAll('[data-called]');
        for (var i = 0; i < labels.length; i++) labels[i].textContent = labels[i].getAttribute('data-called');
        window.location.href = r.body.tel;
      })
      ['catch'](function () {
        if (button) button.disabled = false;
        status.textContent = '网络异常，未能获取号码，请稍后再试。';
      });
  });
})();
