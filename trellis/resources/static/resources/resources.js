// The resource form shows only the field of the chosen kind (link address, file or guide
// text). Without this script every field shows, each saying which kind it is for.
(function () {
  "use strict";

  function fieldOf(input) {
    return input.closest(".field") || input.parentElement;
  }

  function update(form) {
    var checked = form.querySelector("[data-resource-kind]:checked");
    if (!checked) {
      return;
    }
    form.querySelectorAll("[data-for-kind]").forEach(function (input) {
      fieldOf(input).hidden = input.getAttribute("data-for-kind") !== checked.value;
    });
  }

  document.querySelectorAll("[data-resource-form]").forEach(function (form) {
    if (!form.querySelector("[data-resource-kind]")) {
      return;
    }
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-resource-kind]")) {
        update(form);
      }
    });
    update(form);
  });
})();
