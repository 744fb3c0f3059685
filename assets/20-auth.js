// A session that ended (signed out elsewhere, expired, password changed, user disabled) or a
// revoked display token answers Dash's requests with 401: go to the sign-in page instead of
// leaving a page that silently stops updating.
(function () {
  var originalFetch = window.fetch;
  var leaving = false;
  window.fetch = function (input) {
    return originalFetch.apply(this, arguments).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("_dash-") !== -1) {
        if (!leaving) {
          leaving = true;
          var here = window.location.pathname + window.location.search;
          window.location.assign("/login?next=" + encodeURIComponent(here));
        }
        // The page is being left: Dash never sees this answer (nothing half-updates).
        return new Promise(function () {});
      }
      return response;
    });
  };
})();
