"""Assemble the Flask application: settings, database, model, extensions, blueprints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from tagloop import __version__
from tagloop.api import (
    auth,
    clients,
    context,
    errors,
    fast_classify,
    headers,
    jsonio,
    limits,
    observability,
    schemas,
    web,
)
from tagloop.api.accounts import bp as accounts_bp
from tagloop.api.classify import bp as classify_bp
from tagloop.api.health import bp as health_bp
from tagloop.api.items import bp as items_bp
from tagloop.api.jobs import bp as jobs_bp
from tagloop.api.labelling import bp as labelling_bp
from tagloop.api.models import bp as models_bp
from tagloop.api.predictions import bp as predictions_bp
from tagloop.api.projects import bp as projects_bp
from tagloop.api.projects import info_bp
from tagloop.api.review import bp as review_bp
from tagloop.api.stats import bp as stats_bp
from tagloop.api.tutorial import bp as tutorial_bp
from tagloop.config import Settings
from tagloop.secrets import load_secret_key
from tagloop.service.core import Core

# Every resource of a project, at /api/v1/projects/<project>/… and, for the default
# project, at the /api/v1/… of the single-project releases.
PER_PROJECT = (
    info_bp,
    classify_bp,
    predictions_bp,
    models_bp,
    stats_bp,
    jobs_bp,
    review_bp,
    items_bp,
    labelling_bp,
)


def build_app(settings: Settings | None = None, **overrides: Any) -> APIFlask:
    settings = settings or Settings.from_env(**overrides)
    app = APIFlask(
        "tagloop",
        title="tagloop",
        version=__version__,
        spec_path="/api/openapi.json",
        docs_path=None,  # api/web.py serves /api/docs (Swagger UI 5, which reads OpenAPI 3.1)
        static_folder=None,  # type: ignore[arg-type]
    )
    app.config.update(
        SECRET_KEY=load_secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        VALIDATION_ERROR_STATUS_CODE=422,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="tagloop_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        INFO={
            "description": "Classify text, give feedback, and manage model versions. "
            'Errors are JSON: {"error": {"code", "message", "details"}}.'
        },
        SECURITY_SCHEMES={"AdminToken": {"type": "http", "scheme": "bearer"}},
        HTTP_ERROR_SCHEMA=errors.ERROR_SCHEMA,
        VALIDATION_ERROR_SCHEMA=errors.ERROR_SCHEMA,
        SPEC_PROCESSOR_PASS_OBJECT=True,
    )
    app.spec_processor(schemas.register_response_schemas)
    jsonio.init_app(app)  # keeps fields in schema order, as orjson does not sort
    app.extensions["tagloop.core"] = Core.open(settings, on_swap=observability.model_served)

    context.init_app(app)  # names the request's project before any other hook runs
    auth.init_app(app)  # then the caller is checked before the body is read
    errors.init_app(app)
    headers.init_app(app)  # security headers on every response
    clients.init_app(app)
    observability.init_app(app)
    limits.init_app(app, settings)
    app.register_blueprint(health_bp)
    app.register_blueprint(tutorial_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(accounts_bp)
    for blueprint in PER_PROJECT:
        app.register_blueprint(blueprint)
        app.register_blueprint(
            blueprint, url_prefix="/api/v1/projects/<project>", name=f"project_{blueprint.name}"
        )
    limits.limit_login(app, settings)
    web.init_app(app)
    fast_classify.init_app(app, settings)  # plain one-text classify requests, before Flask
    if settings.proxy_hops:
        # Behind a reverse proxy every request comes from the proxy's address: trust that
        # many X-Forwarded-For/-Proto hops, so rate limits and cookies see the real client.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
