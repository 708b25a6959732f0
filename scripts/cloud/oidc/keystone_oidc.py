"""Keystone's side of federated login for the ncli test cloud (idempotent; run by oidc-up.sh).

Creates, against the running Keystone (as admin):
  * group `ncli-oidc-users` (domain Default) with role `member` on project `demo`
  * identity provider `ncli-idp` whose remote id is the IdP's issuer ($IDP_URL); Keystone finds
    it in HTTP_OIDC_ISS ([federation] remote_id_attribute in templates/keystone.conf)
  * mapping `ncli-oidc-mapping`: a user whose `groups` claim holds `ncli-users` becomes the
    ephemeral user named by `preferred_username`, in group ncli-oidc-users; anyone else is
    refused ("no mapping")
  * protocol `openid` of ncli-idp with that mapping
"""
import os

from keystoneauth1 import exceptions as ks_exc

from cloudlib import first, keystone, log, session

IDP_ID = os.environ.get('OIDC_IDP_ID', 'ncli-idp')
IDP_URL = os.environ['IDP_URL']
GROUP = 'ncli-oidc-users'
MAPPING_ID = 'ncli-oidc-mapping'
RULES = [{
    'local': [
        {'user': {'name': '{0}'}},
        {'group': {'name': GROUP, 'domain': {'name': 'Default'}}},
    ],
    'remote': [
        {'type': 'HTTP_OIDC_PREFERRED_USERNAME'},
        {'type': 'HTTP_OIDC_GROUPS', 'any_one_of': ['ncli-users']},
    ],
}]


def main():
    k = keystone(session())
    group = first(k.groups.list(name=GROUP, domain='default')) or k.groups.create(GROUP, domain='default')
    member = first(k.roles.list(name='member'))
    demo = first(k.projects.list(name='demo', domain='default'))
    k.roles.grant(member, group=group, project=demo)

    fed = k.federation
    try:
        idp = fed.identity_providers.get(IDP_ID)
        if list(idp.remote_ids) != [IDP_URL] or not idp.enabled:
            fed.identity_providers.update(IDP_ID, remote_ids=[IDP_URL], enabled=True)
    except ks_exc.NotFound:
        fed.identity_providers.create(id=IDP_ID, remote_ids=[IDP_URL], enabled=True,
                                      description='ncli test IdP (oidc-provider)')
        log('identity provider %s (%s)' % (IDP_ID, IDP_URL))
    try:
        fed.mappings.get(MAPPING_ID)
        fed.mappings.update(MAPPING_ID, rules=RULES)
    except ks_exc.NotFound:
        fed.mappings.create(mapping_id=MAPPING_ID, rules=RULES)
        log('mapping %s' % MAPPING_ID)
    try:
        proto = fed.protocols.get(IDP_ID, 'openid')
        if proto.mapping_id != MAPPING_ID:
            fed.protocols.update(IDP_ID, 'openid', MAPPING_ID)
    except ks_exc.NotFound:
        fed.protocols.create('openid', IDP_ID, MAPPING_ID)
        log('protocol openid of %s' % IDP_ID)


if __name__ == '__main__':
    main()
