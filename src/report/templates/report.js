document.querySelectorAll("table.sortable th").forEach(function(th){th.addEventListener("click",function(){
var table=th.closest("table"),idx=Array.prototype.indexOf.call(th.parentNode.children,th),body=table.tBodies[0];
var asc=th.getAttribute("aria-sort")!=="ascending";
table.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort")});
th.setAttribute("aria-sort",asc?"ascending":"descending");
function key(tr){var c=tr.children[idx];var v=c.getAttribute("data-v");return v===null?c.textContent.trim():parseFloat(v)}
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a),y=key(b);var r=(typeof x==="number"&&typeof y==="number")?x-y:String(x).localeCompare(String(y));return asc?r:-r});
rows.forEach(function(r){body.appendChild(r)});});});
