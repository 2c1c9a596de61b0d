// Program pages: intake questions by role, select-all for the participants table, copy links.
(function () {
  "use strict";

  var AUDIENCES = { mentor: ["everyone", "mentors"], mentee: ["everyone", "mentees"] };

  // Show only the questions asked of the chosen role; with no role chosen, show them all.
  function showQuestionsFor(form) {
    var role = form.querySelector("[name=role]");
    if (!role) return;
    var wanted = AUDIENCES[role.value];
    form.querySelectorAll("[data-audience]").forEach(function (question) {
      question.hidden = Boolean(wanted) && wanted.indexOf(question.dataset.audience) === -1;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    var joinForm = target.closest("[data-join-form]");
    if (joinForm && target.getAttribute("name") === "role") showQuestionsFor(joinForm);
    if (target.matches("[data-select-all]")) {
      var table = target.closest("table");
      table.querySelectorAll("input[name=enrollment_ids]").forEach(function (box) {
        box.checked = target.checked;
      });
    } else if (target.matches("input[name=enrollment_ids]")) {
      var boxes = target.closest("table").querySelectorAll("input[name=enrollment_ids]");
      var all = target.closest("table").querySelector("[data-select-all]");
      var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
      if (all) {
        all.checked = checked.length === boxes.length;
        all.indeterminate = checked.length > 0 && checked.length < boxes.length;
      }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof HTMLElement && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).catch(function () {});
    }
    button.firstChild.textContent = "Copied ";
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-join-form]").forEach(showQuestionsFor);
  });
})();
