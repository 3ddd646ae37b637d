"""The deviation and deviation form endpoints and the polymorphic answers in the OpenAPI schema."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from deviations.models import FieldType


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_form_endpoint_is_described_with_its_errors(schema):
    paths = schema["paths"]
    expected = {
        "/api/deviations/form-templates/": {"get": {"200", "401", "403", "422"}, "post": {"201", "401", "403", "409", "422"}},
        "/api/deviations/form-templates/{id}": {"get": {"200", "404"}, "put": {"200", "404", "409", "422"}},
        "/api/deviations/form-templates/{id}/publish": {"post": {"200", "404", "409", "422"}},
        "/api/deviations/form-templates/{id}/validate": {"post": {"200", "413", "415", "422"}},
        "/api/deviations/form-templates/active": {"get": {"200", "404"}},
    }
    for path, methods in expected.items():
        for method, codes in methods.items():
            assert codes <= set(paths[path][method]["responses"]), (path, method)


def test_answers_are_typed_per_field_type(schema):
    answer = schema["components"]["schemas"]["FormAnswer"]
    assert answer["discriminator"]["propertyName"] == "type"
    assert set(answer["discriminator"]["mapping"]) == {t.value for t in FieldType}
    result = schema["components"]["schemas"]["AnswersCheckResult"]["properties"]["answers"]
    assert result["additionalProperties"]["additionalProperties"] == {"$ref": "#/components/schemas/FormAnswer"}


def test_every_deviation_endpoint_is_described_with_its_errors(schema):
    paths = schema["paths"]
    expected = {
        "/api/deviations/": {"get": {"200", "401", "403", "422"}, "post": {"201", "401", "403", "409", "413", "415", "422"}},
        "/api/deviations/{id}": {"get": {"200", "401", "403", "404"}, "put": {"200", "404", "409", "422"}},
        "/api/deviations/{id}/links": {"get": {"200", "404"}, "post": {"201", "404", "409", "422"}},
        "/api/deviations/{id}/links/{link_id}": {"delete": {"200", "404", "409", "422"}},
        "/api/deviations/{id}/attachments": {"post": {"201", "404", "409", "413", "415", "422"}},
        "/api/deviations/{id}/attachments/{attachment_id}": {"get": {"200", "404"}},
        "/api/deviations/{id}/approve": {"post": {"200", "401", "403", "404", "409", "422"}},
        "/api/deviations/{id}/transition": {"post": {"200", "401", "403", "404", "409", "422"}},
        "/api/deviations/{id}/workflow": {"get": {"200", "404"}},
    }
    for path, methods in expected.items():
        for method, codes in methods.items():
            assert codes <= set(paths[path][method]["responses"]), (path, method)
    # Reporting takes JSON or multipart (the files of the form's image and file fields).
    assert set(paths["/api/deviations/"]["post"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    detail = schema["components"]["schemas"]["DeviationDetail"]["properties"]
    assert detail["form_answers"]["additionalProperties"]["additionalProperties"] == {"$ref": "#/components/schemas/FormAnswer"}
    assert {"links", "linked_from", "recurrence", "attachments", "workflow", "signatures"} <= set(detail)
