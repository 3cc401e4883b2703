// Swagger UI for /api/docs, from this server's own files (no CDN, no inline script: the
// Content-Security-Policy allows neither).
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
})
