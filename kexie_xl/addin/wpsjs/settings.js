/* The settings dialog (设置): the address of kexie-xl serve, kept in localStorage and WPS's PluginStorage.
 * Loaded after main.js, whose serviceUrl / load / store it uses. */

window.addEventListener("load", function () {
  var input = document.getElementById("service");
  var status = document.getElementById("status");
  input.value = serviceUrl();

  document.getElementById("save").onclick = function () {
    var value = input.value.trim().replace(/\/+$/, "");
    if (!/^https?:\/\/[^\/\s]+$/.test(value)) {
      status.textContent = "地址应为 http://电脑地址:端口，如 http://127.0.0.1:8023。";
      return;
    }
    store(SERVICE_KEY, value);
    status.textContent = "已保存：" + value;
  };

  document.getElementById("reset").onclick = function () {
    store(SERVICE_KEY, "");
    input.value = serviceUrl();
    status.textContent = "已恢复默认：" + input.value;
  };

  document.getElementById("test").onclick = function () {
    var base = input.value.trim().replace(/\/+$/, "");
    var xhr = new XMLHttpRequest();
    status.textContent = "正在连接 " + base + " …";
    xhr.open("GET", base + "/api/grid-check");
    xhr.timeout = 10000;
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      status.textContent = xhr.status === 200 && body && body.service
        ? "已连接：" + body.service + " " + body.version
        : "地址能访问，但不是 kexie-xl serve 的校验服务（HTTP " + xhr.status + "）。";
    };
    xhr.onerror = xhr.ontimeout = function () {
      status.textContent = "连不上 " + base + "：请确认那台电脑上已运行 kexie-xl serve（局域网访问需加 --host 0.0.0.0）。";
    };
    xhr.send();
  };
});
