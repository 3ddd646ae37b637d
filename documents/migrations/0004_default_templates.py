"""Seeds two document templates. The first (id 1 on a fresh install) takes exactly the variables
of the API contract's example: {"template_id": 1, "variables": {"title", "version", "author"}}."""

from django.db import migrations

QUALITY_MANUAL = """# {{ title }}

**Version:** {{ version }}
**Author:** {{ author }}
**Organisation:** {{ organisation }}

## 1. Purpose

This quality manual describes the quality management system of {{ organisation }} and how it meets
ISO 9001 / ISO 13485 and the applicable GMP requirements.

## 2. Scope

{{ scope }}

## 3. Quality policy

- We meet customer, patient and regulatory requirements.
- We keep our quality management system effective and improve it continually.
- Every employee is trained for the work they do.

## 4. Document control

Controlled documents are approved before use, reviewed periodically and superseded versions are
withdrawn from use.
"""

SOP = """# {{ title }}

**Department:** {{ department }}
**Author:** {{ author }}
**Review date:** {{ review_date }}

## 1. Purpose

{{ purpose }}

## 2. Scope

{{ scope }}

## 3. Responsibilities

- The department head ensures staff are trained on this procedure.
- Operators follow it as written and report deviations.

## 4. Procedure

1. Prepare the work area and check the equipment status.
2. Perform the operation as described in the applicable work instructions.
3. Record the results in the batch record.

## 5. Records

Records are kept for the retention period defined by the document control procedure.
"""


def seed(apps, schema_editor):
    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    DocumentType = apps.get_model("documents", "DocumentType")
    policy, sop = DocumentType.objects.filter(code="POL").first(), DocumentType.objects.filter(code="SOP").first()
    if policy is None or sop is None:
        return
    DocumentTemplate.objects.get_or_create(
        name="Quality Manual",
        defaults={
            "description": "Quality manual of the organisation (ISO 9001 / ISO 13485).",
            "category": "Quality",
            "document_type": policy,
            "body": QUALITY_MANUAL,
            "output_format": "docx",
            "variables": [
                {"name": "title", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Document title"},
                {"name": "version", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Version shown on the cover"},
                {"name": "author", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Author's name"},
                {"name": "organisation", "parameter_type": "string", "is_required": False,
                 "default_value": "our organisation", "description": "Company name"},
                {"name": "scope", "parameter_type": "string", "is_required": False,
                 "default_value": "All sites, products and processes of the organisation.", "description": "Scope"},
            ],
        },
    )
    DocumentTemplate.objects.get_or_create(
        name="Standard Operating Procedure",
        defaults={
            "description": "Skeleton of a standard operating procedure.",
            "category": "Operations",
            "document_type": sop,
            "body": SOP,
            "output_format": "pdf",
            "variables": [
                {"name": "title", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Procedure title"},
                {"name": "author", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Author's name"},
                {"name": "department", "parameter_type": "choice", "is_required": True, "default_value": None,
                 "description": "Owning department",
                 "choices": ["Quality Assurance", "Quality Control", "Production", "Engineering", "Warehouse"]},
                {"name": "review_date", "parameter_type": "date", "is_required": False, "default_value": None,
                 "description": "Planned review date (YYYY-MM-DD)"},
                {"name": "purpose", "parameter_type": "string", "is_required": True, "default_value": None,
                 "description": "Why the procedure exists"},
                {"name": "scope", "parameter_type": "string", "is_required": False,
                 "default_value": "Applies to the department named above.", "description": "Where it applies"},
            ],
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("documents", "DocumentTemplate").objects.filter(
        name__in=["Quality Manual", "Standard Operating Procedure"], usage_count=0
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_default_document_types")]

    operations = [migrations.RunPython(seed, unseed)]
