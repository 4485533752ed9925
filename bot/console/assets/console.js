// 回访管理台: small progressive enhancements; every page works without this script.
(function () {
  'use strict';
  // 全选: a checkbox with data-check-all checks the row checkboxes of its form.
  document.querySelectorAll('input[data-check-all]').forEach(function (all) {
    all.addEventListener('change', function () {
      var form = all.form;
      if (!form) return;
      Array.prototype.forEach.call(form.elements, function (box) {
        if (box.name === 'id' && !box.disabled) box.checked = all.checked;
      });
    });
  });
  // Countdown to a deadline: <span data-deadline="ISO">…</span> shows the time left (剩余 / 已超时).
  function tick() {
    var now = Date.now();
    document.querySelectorAll('[data-deadline]').forEach(function (el) {
      var left = Date.parse(el.getAttribute('data-deadline')) - now;
      var abs = Math.abs(left);
      var h = Math.floor(abs / 3600000);
      var m = Math.floor((abs % 3600000) / 60000);
      var text = (h >= 48 ? Math.floor(h / 24) + ' 天 ' + (h % 24) + ' 小时' : h + ' 小时 ' + m + ' 分');
      el.textContent = left >= 0 ? '剩余 ' + text : '已超时 ' + text;
      el.classList.toggle('late', left < 0);
    });
  }
  tick();
  setInterval(tick, 30000);
  // A chart wider than a phone scrolls inside its box; start at the latest months (the right end).
  document.querySelectorAll('.chart').forEach(function (box) {
    box.scrollLeft = box.scrollWidth;
  });
  // A file chosen in <input type=file data-fills=ID> is read into the text box ID (the form sends text only),
  // and its name into the form's [data-file-name] field, for the line numbers of the check.
  document.querySelectorAll('input[type=file][data-fills]').forEach(function (input) {
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      var box = document.getElementById(input.getAttribute('data-fills'));
      if (!file || !box) return;
      var reader = new FileReader();
      reader.onload = function () {
        box.value = String(reader.result);
        var name = input.form && input.form.querySelector('[data-file-name]');
        if (name) name.value = file.name;
      };
      reader.readAsText(file, 'utf-8');
    });
  });
  // Confirmation for forms with data-confirm.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  });
})();
